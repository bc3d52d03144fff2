import type { Queryable } from '../database.js';
import type { TenantScope } from '../scope.js';

export type ApiSessionAccountType = 'tenant_account' | 'environment_account';

export interface ApiSessionRow {
  readonly id: string;
  readonly tenantId: string;
  readonly accountType: ApiSessionAccountType;
  readonly accountId: string;
  /** The environment that issued an environment account's session; null for tenant accounts. */
  readonly environmentId: string | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly createdAt: Date;
  readonly lastActiveAt: Date;
  readonly expiresAt: Date;
}

interface ApiSessionRecord {
  id: string;
  tenant_id: string;
  token_hash: string;
  account_type: ApiSessionAccountType;
  account_id: string;
  environment_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  last_active_at: Date;
  expires_at: Date;
}

// The token hash is read by nobody: it only finds the row.
const toApiSessionRow = (record: ApiSessionRecord): ApiSessionRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  accountType: record.account_type,
  accountId: record.account_id,
  environmentId: record.environment_id,
  ipAddress: record.ip_address,
  userAgent: record.user_agent,
  createdAt: new Date(record.created_at),
  lastActiveAt: new Date(record.last_active_at),
  expiresAt: new Date(record.expires_at),
});

export interface NewApiSession {
  readonly tokenHash: string;
  readonly accountType: ApiSessionAccountType;
  readonly accountId: string;
  readonly environmentId: string | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly expiresAt: Date;
}

export async function insertApiSession(
  db: Queryable,
  scope: TenantScope,
  session: NewApiSession,
): Promise<ApiSessionRow> {
  const [record] = (await db('api_sessions')
    .insert({
      tenant_id: scope.tenantId,
      token_hash: session.tokenHash,
      account_type: session.accountType,
      account_id: session.accountId,
      environment_id: session.environmentId,
      ip_address: session.ipAddress,
      user_agent: session.userAgent,
      expires_at: session.expiresAt,
    })
    .returning('*')) as ApiSessionRecord[];
  return toApiSessionRow(record as ApiSessionRecord);
}

/**
 * The one lookup without a tenant: a cookie or bearer token carries nothing else. The caller
 * checks the row's tenant, environment and account type before trusting it.
 */
export async function findApiSessionByTokenHash(db: Queryable, tokenHash: string): Promise<ApiSessionRow | undefined> {
  const record = await db<ApiSessionRecord>('api_sessions').where({ token_hash: tokenHash }).first();
  return record ? toApiSessionRow(record) : undefined;
}

/** Slides the idle window. */
export async function touchApiSession(db: Queryable, scope: TenantScope, sessionId: string, now: Date): Promise<void> {
  await db('api_sessions').where({ tenant_id: scope.tenantId, id: sessionId }).update({ last_active_at: now });
}

export async function deleteApiSession(db: Queryable, scope: TenantScope, sessionId: string): Promise<void> {
  await db('api_sessions').where({ tenant_id: scope.tenantId, id: sessionId }).delete();
}

/** The periodic clean-up: sessions past their absolute expiry go, in bounded batches. */
export async function deleteExpiredApiSessions(db: Queryable, now: Date, batchSize = 1000): Promise<number> {
  return db('api_sessions')
    .whereIn('ctid', db('api_sessions').select('ctid').where('expires_at', '<=', now).limit(batchSize))
    .delete();
}

export interface SessionOwner {
  readonly tenantId: string;
  readonly accountType: ApiSessionAccountType;
  readonly accountId: string;
}

const ownerWhere = (owner: SessionOwner) => ({
  tenant_id: owner.tenantId,
  account_type: owner.accountType,
  account_id: owner.accountId,
});

/** Every session of one account, except `exceptSessionId` when given; answers how many went. */
export async function deleteApiSessionsOfAccount(
  db: Queryable,
  owner: SessionOwner,
  exceptSessionId?: string,
): Promise<number> {
  const query = db('api_sessions').where(ownerWhere(owner));
  if (exceptSessionId !== undefined) query.andWhereNot({ id: exceptSessionId });
  return query.delete();
}

/** The environment accounts' sessions of an environment (it is being deleted). */
export async function deleteApiSessionsOfEnvironment(db: Queryable, scope: TenantScope & { environmentId: string }): Promise<number> {
  return db('api_sessions')
    .where({ tenant_id: scope.tenantId, account_type: 'environment_account', environment_id: scope.environmentId })
    .delete();
}

/** Where a page of sessions ends. */
export interface ApiSessionPosition {
  readonly createdAt: string;
  readonly id: string;
}

const POSITION_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** One account's sessions that are still within their absolute expiry, oldest first. */
export async function listApiSessionsOfAccount(
  db: Queryable,
  owner: SessionOwner,
  page: { limit: number; after?: ApiSessionPosition | undefined; now: Date; activeSince: Date },
): Promise<{ rows: ApiSessionRow[]; next: ApiSessionPosition | undefined }> {
  const query = db<ApiSessionRecord>('api_sessions')
    .where(ownerWhere(owner))
    .andWhere('expires_at', '>', page.now)
    .andWhere('last_active_at', '>', page.activeSince)
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(page.limit + 1);
  if (page.after) query.andWhereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [page.after.createdAt, page.after.id]);
  const records = (await query) as unknown as Array<ApiSessionRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { createdAt: last.position_at, id: last.id } : undefined;
  return { rows: rows.map(toApiSessionRow), next };
}
