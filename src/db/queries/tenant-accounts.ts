import type { Queryable } from '../database.js';
import type { TenantScope } from '../scope.js';
import {
  accountIdentityColumns,
  rethrowAsIdentifierTaken,
  toAccountIdentity,
  type AccountIdentity,
  type AccountIdentityRecord,
  type NewAccountIdentity,
} from './account-identity.js';
import { identifierWhere, type IdentifierKind, type IdentifierLookup } from './identifier-lookup.js';

export type TenantRole = 'owner' | 'admin' | 'user';

export interface TenantAccountRow extends AccountIdentity {
  readonly role: TenantRole;
}

interface TenantAccountRecord extends AccountIdentityRecord {
  role: TenantRole;
}

const toTenantAccountRow = (record: TenantAccountRecord): TenantAccountRow => ({
  ...toAccountIdentity(record),
  role: record.role,
});

export interface NewTenantAccount extends NewAccountIdentity {
  readonly role: TenantRole;
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
      .insert({ tenant_id: scope.tenantId, ...accountIdentityColumns(account), role: account.role })
      .returning('*')) as TenantAccountRecord[];
    return toTenantAccountRow(record as TenantAccountRecord);
  } catch (error) {
    rethrowAsIdentifierTaken(error, UNIQUE_CONSTRAINTS);
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
    .where({ tenant_id: scope.tenantId, ...identifierWhere(lookup) })
    .first();
  return record ? toTenantAccountRow(record) : undefined;
}
