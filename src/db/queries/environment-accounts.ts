import { errors } from '../../errors/codes.js';
import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';
import { identifierColumn, type IdentifierKind, type IdentifierLookup } from './identifier-lookup.js';
import { uniqueViolationConstraint } from './unique-violation.js';

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

export async function findEnvironmentAccountByIdentifier(
  db: Queryable,
  scope: EnvironmentScope,
  lookup: IdentifierLookup,
): Promise<EnvironmentAccountRow | undefined> {
  const record = await db<EnvironmentAccountRecord>('environment_accounts')
    .where(environmentWhere(scope))
    .andWhere(identifierColumn[lookup.kind], lookup.value)
    .first();
  return record ? toEnvironmentAccountRow(record) : undefined;
}

/** Which of these identifiers another account of the environment already holds. */
export async function findTakenEnvironmentIdentifiers(
  db: Queryable,
  scope: EnvironmentScope,
  lookups: readonly IdentifierLookup[],
): Promise<IdentifierKind[]> {
  if (lookups.length === 0) return [];
  const records = await db<EnvironmentAccountRecord>('environment_accounts')
    .where(environmentWhere(scope))
    .andWhere((query) => {
      for (const lookup of lookups) query.orWhere(identifierColumn[lookup.kind], lookup.value);
    })
    .select('email_normalized', 'username_normalized', 'phone');
  return lookups
    .filter((lookup) =>
      records.some((record) => (record as unknown as Record<string, unknown>)[identifierColumn[lookup.kind]] === lookup.value),
    )
    .map((lookup) => lookup.kind);
}

export interface NewEnvironmentAccount {
  readonly name: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly emailVerified: boolean;
  readonly username: string;
  readonly usernameNormalized: string;
  readonly phone: string | null;
  readonly avatarUrl: string | null;
  readonly address: AddressClaim | null;
  readonly customProperties: Record<string, unknown>;
  readonly passwordHash: string | null;
}

const UNIQUE_CONSTRAINTS: Readonly<Record<string, IdentifierKind>> = {
  environment_accounts__environment_email: 'email',
  environment_accounts__environment_username: 'username',
  environment_accounts__environment_phone: 'phone',
};

/** Inserts; a taken email, username or phone in the environment (a lost race) is a 409. */
export async function insertEnvironmentAccount(
  db: Queryable,
  scope: EnvironmentScope,
  account: NewEnvironmentAccount,
): Promise<EnvironmentAccountRow> {
  try {
    const [record] = (await db('environment_accounts')
      .insert({
        ...environmentWhere(scope),
        name: account.name,
        email: account.email,
        email_normalized: account.emailNormalized,
        email_verified: account.emailVerified,
        username: account.username,
        username_normalized: account.usernameNormalized,
        phone: account.phone,
        avatar_url: account.avatarUrl,
        address: account.address ? JSON.stringify(account.address) : null,
        custom_properties: JSON.stringify(account.customProperties),
        password_hash: account.passwordHash,
      })
      .returning('*')) as EnvironmentAccountRecord[];
    return toEnvironmentAccountRow(record as EnvironmentAccountRecord);
  } catch (error) {
    const field = UNIQUE_CONSTRAINTS[uniqueViolationConstraint(error) ?? ''];
    if (field) throw errors.identifierTaken(field);
    throw error;
  }
}
