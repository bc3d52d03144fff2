import { errors } from '../../errors/codes.js';
import type { Queryable } from '../database.js';
import type { TenantScope } from '../scope.js';
import { identifierColumn, type IdentifierKind, type IdentifierLookup } from './identifier-lookup.js';
import { uniqueViolationConstraint } from './unique-violation.js';

export type TenantRole = 'owner' | 'admin' | 'user';

export interface TenantAccountRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly username: string;
  readonly phone: string | null;
  readonly avatarUrl: string | null;
  readonly role: TenantRole;
  /** Only the services that check passwords read this; never put it in a response. */
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface TenantAccountRecord {
  id: string;
  tenant_id: string;
  name: string;
  email: string;
  email_normalized: string;
  email_verified: boolean;
  username: string;
  username_normalized: string;
  phone: string | null;
  avatar_url: string | null;
  role: TenantRole;
  password_hash: string | null;
  disabled: boolean;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toTenantAccountRow = (record: TenantAccountRecord): TenantAccountRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  name: record.name,
  email: record.email,
  emailVerified: record.email_verified,
  username: record.username,
  phone: record.phone,
  avatarUrl: record.avatar_url,
  role: record.role,
  passwordHash: record.password_hash,
  disabled: record.disabled,
  disabledAt: record.disabled_at ? new Date(record.disabled_at) : null,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export interface NewTenantAccount {
  readonly name: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly username: string;
  readonly usernameNormalized: string;
  readonly phone: string | null;
  readonly avatarUrl: string | null;
  readonly role: TenantRole;
  readonly passwordHash: string | null;
}

const UNIQUE_CONSTRAINTS: Readonly<Record<string, IdentifierKind>> = {
  tenant_accounts__tenant_id_email: 'email',
  tenant_accounts__tenant_id_username: 'username',
  tenant_accounts__tenant_id_phone: 'phone',
};

/** Inserts; a taken email, username or phone in the tenant is a 409 naming the field. */
export async function insertTenantAccount(
  db: Queryable,
  scope: TenantScope,
  account: NewTenantAccount,
): Promise<TenantAccountRow> {
  try {
    const [record] = (await db('tenant_accounts')
      .insert({
        tenant_id: scope.tenantId,
        name: account.name,
        email: account.email,
        email_normalized: account.emailNormalized,
        username: account.username,
        username_normalized: account.usernameNormalized,
        phone: account.phone,
        avatar_url: account.avatarUrl,
        role: account.role,
        password_hash: account.passwordHash,
      })
      .returning('*')) as TenantAccountRecord[];
    return toTenantAccountRow(record as TenantAccountRecord);
  } catch (error) {
    const field = UNIQUE_CONSTRAINTS[uniqueViolationConstraint(error) ?? ''];
    if (field) throw errors.identifierTaken(field);
    throw error;
  }
}

export async function findTenantAccountById(
  db: Queryable,
  scope: TenantScope,
  accountId: string,
): Promise<TenantAccountRow | undefined> {
  const record = await db<TenantAccountRecord>('tenant_accounts')
    .where({ tenant_id: scope.tenantId, id: accountId })
    .first();
  return record ? toTenantAccountRow(record) : undefined;
}

export async function findTenantAccountByIdentifier(
  db: Queryable,
  scope: TenantScope,
  lookup: IdentifierLookup,
): Promise<TenantAccountRow | undefined> {
  const record = await db<TenantAccountRecord>('tenant_accounts')
    .where({ tenant_id: scope.tenantId })
    .andWhere(identifierColumn[lookup.kind], lookup.value)
    .first();
  return record ? toTenantAccountRow(record) : undefined;
}
