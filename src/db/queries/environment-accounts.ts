import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';

export interface AddressClaim {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

export interface EnvironmentAccountRow {
  readonly id: string;
  readonly tenantId: string;
  readonly environmentId: string;
  readonly name: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly username: string;
  readonly phone: string | null;
  readonly phoneVerified: boolean;
  readonly avatarUrl: string | null;
  readonly address: AddressClaim | null;
  readonly customProperties: Record<string, unknown>;
  /** Only the services that check passwords read this; never put it in a response. */
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface EnvironmentAccountRecord {
  id: string;
  tenant_id: string;
  environment_id: string;
  name: string;
  email: string;
  email_normalized: string;
  email_verified: boolean;
  username: string;
  username_normalized: string;
  phone: string | null;
  phone_verified: boolean;
  avatar_url: string | null;
  address: AddressClaim | null;
  custom_properties: Record<string, unknown>;
  password_hash: string | null;
  disabled: boolean;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toEnvironmentAccountRow = (record: EnvironmentAccountRecord): EnvironmentAccountRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  environmentId: record.environment_id,
  name: record.name,
  email: record.email,
  emailVerified: record.email_verified,
  username: record.username,
  phone: record.phone,
  phoneVerified: record.phone_verified,
  avatarUrl: record.avatar_url,
  address: record.address,
  customProperties: record.custom_properties,
  passwordHash: record.password_hash,
  disabled: record.disabled,
  disabledAt: record.disabled_at ? new Date(record.disabled_at) : null,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export async function findEnvironmentAccountById(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
): Promise<EnvironmentAccountRow | undefined> {
  const record = await db<EnvironmentAccountRecord>('environment_accounts')
    .where({ ...environmentWhere(scope), id: accountId })
    .first();
  return record ? toEnvironmentAccountRow(record) : undefined;
}
