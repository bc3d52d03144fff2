import type { Queryable } from '../database.js';
import type { TenantScope } from '../scope.js';

export type ApiKeyRole = 'admin' | 'read-only';

export interface ApiKeyRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  /** The key's first 8 characters, for people to recognise it; never enough to use it. */
  readonly keyPrefix: string;
  /** The tenant account that made it. */
  readonly createdBy: string;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly createdAt: Date;
}

interface ApiKeyRecord {
  id: string;
  tenant_id: string;
  name: string;
  role: ApiKeyRole;
  key_hash: string;
  key_prefix: string;
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const dateOrNull = (value: Date | null) => (value === null ? null : new Date(value));

// The key hash is read by nobody: it only finds the row.
const toRow = (record: ApiKeyRecord): ApiKeyRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  name: record.name,
  role: record.role,
  keyPrefix: record.key_prefix,
  createdBy: record.created_by,
  expiresAt: dateOrNull(record.expires_at),
  lastUsedAt: dateOrNull(record.last_used_at),
  createdAt: new Date(record.created_at),
});

export interface NewApiKey {
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly keyHash: string;
  readonly keyPrefix: string;
  readonly createdBy: string;
  readonly expiresAt: Date | null;
}

export async function insertApiKey(db: Queryable, scope: TenantScope, key: NewApiKey): Promise<ApiKeyRow> {
  const [record] = (await db('api_keys')
    .insert({
      tenant_id: scope.tenantId,
      name: key.name,
      role: key.role,
      key_hash: key.keyHash,
      key_prefix: key.keyPrefix,
      created_by: key.createdBy,
      expires_at: key.expiresAt,
    })
    .returning('*')) as ApiKeyRecord[];
  return toRow(record as ApiKeyRecord);
}

/**
 * The one lookup without a tenant: a bearer key carries nothing else. The caller checks the
 * row's tenant, expiry and creator before trusting it.
 */
export async function findApiKeyByHash(db: Queryable, keyHash: string): Promise<ApiKeyRow | undefined> {
  const record = await db<ApiKeyRecord>('api_keys').where({ key_hash: keyHash }).first();
  return record ? toRow(record) : undefined;
}

/** Oldest id first, `limit + 1` read to tell whether another page follows. */
export async function listApiKeys(
  db: Queryable,
  scope: TenantScope,
  page: { limit: number; afterId?: string | undefined },
): Promise<{ rows: ApiKeyRow[]; next: string | undefined }> {
  const query = db<ApiKeyRecord>('api_keys').where({ tenant_id: scope.tenantId }).orderBy('id').limit(page.limit + 1);
  if (page.afterId) query.andWhere('id', '>', page.afterId);
  const records = await query;
  const rows = records.slice(0, page.limit).map(toRow);
  return { rows, next: records.length > page.limit ? rows[rows.length - 1]?.id : undefined };
}

export async function touchApiKey(db: Queryable, scope: TenantScope, id: string, now: Date): Promise<void> {
  await db('api_keys').where({ tenant_id: scope.tenantId, id }).update({ last_used_at: now });
}

export async function deleteApiKey(db: Queryable, scope: TenantScope, id: string): Promise<boolean> {
  return (await db('api_keys').where({ tenant_id: scope.tenantId, id }).delete()) > 0;
}

/** Every key an account made: the account was disabled (its keys end with it, for good). */
export async function deleteApiKeysOfCreator(db: Queryable, scope: TenantScope, accountId: string): Promise<number> {
  return db('api_keys').where({ tenant_id: scope.tenantId, created_by: accountId }).delete();
}

export async function findApiKeyById(db: Queryable, scope: TenantScope, id: string): Promise<ApiKeyRow | undefined> {
  const record = await db<ApiKeyRecord>('api_keys').where({ tenant_id: scope.tenantId, id }).first();
  return record ? toRow(record) : undefined;
}
