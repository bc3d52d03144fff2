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

/** The account, its row locked until the transaction ends. */
export async function lockTenantAccount(db: Queryable, scope: TenantScope, accountId: string): Promise<TenantAccountRow | undefined> {
  const record = await db<TenantAccountRecord>('tenant_accounts')
    .where({ tenant_id: scope.tenantId, id: accountId })
    .forUpdate()
    .first();
  return record ? toTenantAccountRow(record) : undefined;
}

/** Where a page of tenant accounts ends: the last row's creation time (to the microsecond) and id. */
export interface TenantAccountPosition {
  readonly createdAt: string;
  readonly id: string;
}

const POSITION_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A tenant's accounts, oldest first; `limit + 1` rows are read to tell whether a page follows. */
export async function listTenantAccounts(
  db: Queryable,
  scope: TenantScope,
  page: { limit: number; after?: TenantAccountPosition | undefined },
): Promise<{ rows: TenantAccountRow[]; next: TenantAccountPosition | undefined }> {
  const query = db<TenantAccountRecord>('tenant_accounts')
    .where({ tenant_id: scope.tenantId })
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(page.limit + 1);
  if (page.after) query.andWhereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [page.after.createdAt, page.after.id]);
  const records = (await query) as unknown as Array<TenantAccountRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { createdAt: last.position_at, id: last.id } : undefined;
  return { rows: rows.map(toTenantAccountRow), next };
}

/** The columns an account change may write; each is named, nothing else reaches the UPDATE. */
export interface TenantAccountChanges {
  readonly name?: string | undefined;
  readonly avatarUrl?: string | null | undefined;
  readonly email?: { readonly email: string; readonly emailNormalized: string } | undefined;
  /** Written as given; a new `email` without it is unverified. */
  readonly emailVerified?: boolean | undefined;
  readonly username?: { readonly username: string; readonly usernameNormalized: string } | undefined;
  readonly phone?: string | null | undefined;
  readonly role?: TenantRole | undefined;
  readonly disabled?: boolean | undefined;
  readonly passwordHash?: string | undefined;
}

/** Writes the given columns; undefined when the account is not there; a taken identifier is a 409. */
export async function updateTenantAccount(
  db: Queryable,
  scope: TenantScope,
  accountId: string,
  changes: TenantAccountChanges,
): Promise<TenantAccountRow | undefined> {
  const columns: Record<string, unknown> = { updated_at: db.fn.now() };
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.avatarUrl !== undefined) columns.avatar_url = changes.avatarUrl;
  if (changes.email !== undefined) {
    columns.email = changes.email.email;
    columns.email_normalized = changes.email.emailNormalized;
    // A new address is not verified (unless the change says otherwise: the same address written differently).
    columns.email_verified = false;
  }
  if (changes.emailVerified !== undefined) columns.email_verified = changes.emailVerified;
  if (changes.username !== undefined) {
    columns.username = changes.username.username;
    columns.username_normalized = changes.username.usernameNormalized;
  }
  if (changes.phone !== undefined) columns.phone = changes.phone;
  if (changes.role !== undefined) columns.role = changes.role;
  if (changes.disabled !== undefined) {
    columns.disabled = changes.disabled;
    columns.disabled_at = changes.disabled ? db.fn.now() : null;
  }
  if (changes.passwordHash !== undefined) columns.password_hash = changes.passwordHash;
  try {
    const [record] = (await db('tenant_accounts')
      .where({ tenant_id: scope.tenantId, id: accountId })
      .update(columns)
      .returning('*')) as TenantAccountRecord[];
    return record ? toTenantAccountRow(record) : undefined;
  } catch (error) {
    rethrowAsIdentifierTaken(error, UNIQUE_CONSTRAINTS);
  }
}

export async function deleteTenantAccount(db: Queryable, scope: TenantScope, accountId: string): Promise<boolean> {
  const count = await db('tenant_accounts').where({ tenant_id: scope.tenantId, id: accountId }).delete();
  return count > 0;
}

/** How many enabled owners the tenant has besides `exceptAccountId`. */
export async function countOtherEnabledOwners(db: Queryable, scope: TenantScope, exceptAccountId: string): Promise<number> {
  const row = await db('tenant_accounts')
    .where({ tenant_id: scope.tenantId, role: 'owner', disabled: false })
    .andWhereNot({ id: exceptAccountId })
    .count<{ count: string | number }[]>({ count: '*' })
    .first();
  return Number(row?.count ?? 0);
}
