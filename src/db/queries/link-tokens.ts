import type { Queryable } from '../database.js';
import type { ApiSessionAccountType } from './api-sessions.js';

export type LinkPurpose = 'reset_password' | 'set_password' | 'verify_email';

/** Whom a link token belongs to: the tenant, the environment (null: a tenant account), the account. */
export interface LinkTokenOwner {
  readonly tenantId: string;
  readonly environmentId: string | null;
  readonly accountType: ApiSessionAccountType;
  readonly accountId: string;
}

/** Where a presented token must belong to be accepted (the path it was presented at). */
export interface LinkTokenPlace {
  readonly tenantId: string;
  readonly environmentId: string | null;
  readonly accountType: ApiSessionAccountType;
}

export interface LinkTokenRow extends LinkTokenOwner {
  readonly id: string;
  readonly purpose: LinkPurpose;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly createdAt: Date;
  /** The OIDC interaction (its uid) the link was asked from, if it was asked inside a sign-in. */
  readonly interactionUid: string | null;
}

interface LinkTokenRecord {
  tenant_id: string;
  id: string;
  environment_id: string | null;
  account_type: ApiSessionAccountType;
  account_id: string;
  purpose: LinkPurpose;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
  interaction_uid: string | null;
}

const toLinkTokenRow = (record: LinkTokenRecord): LinkTokenRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  environmentId: record.environment_id,
  accountType: record.account_type,
  accountId: record.account_id,
  purpose: record.purpose,
  expiresAt: new Date(record.expires_at),
  usedAt: record.used_at ? new Date(record.used_at) : null,
  createdAt: new Date(record.created_at),
  interactionUid: record.interaction_uid ?? null,
});

const ownerWhere = (owner: LinkTokenOwner) => ({
  tenant_id: owner.tenantId,
  account_type: owner.accountType,
  account_id: owner.accountId,
});

/** The place's WHERE clause: tenant, account type and environment (IS NULL for tenant accounts). */
function wherePlace(query: ReturnType<Queryable>, place: LinkTokenPlace, purposes: readonly LinkPurpose[]) {
  query.where({ tenant_id: place.tenantId, account_type: place.accountType }).whereIn('purpose', purposes);
  if (place.environmentId === null) query.whereNull('environment_id');
  else query.where({ environment_id: place.environmentId });
  return query;
}

export async function insertLinkToken(
  db: Queryable,
  token: LinkTokenOwner & {
    purpose: LinkPurpose;
    tokenHash: string;
    createdAt: Date;
    expiresAt: Date;
    interactionUid?: string | null;
  },
): Promise<LinkTokenRow> {
  const [record] = (await db('link_tokens')
    .insert({
      tenant_id: token.tenantId,
      environment_id: token.environmentId,
      account_type: token.accountType,
      account_id: token.accountId,
      purpose: token.purpose,
      token_hash: token.tokenHash,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      interaction_uid: token.interactionUid ?? null,
    })
    .returning('*')) as LinkTokenRecord[];
  return toLinkTokenRow(record as LinkTokenRecord);
}

/** Marks the account's unused tokens of these purposes used; answers how many. */
export async function voidLinkTokensOfAccount(
  db: Queryable,
  owner: LinkTokenOwner,
  purposes: readonly LinkPurpose[],
  now: Date,
): Promise<number> {
  return db('link_tokens').where(ownerWhere(owner)).whereIn('purpose', purposes).whereNull('used_at').update({ used_at: now });
}

/** The live (unused, unexpired) token with this hash at this place, if any; changes nothing. */
export async function findLiveLinkToken(
  db: Queryable,
  place: LinkTokenPlace,
  purposes: readonly LinkPurpose[],
  tokenHash: string,
  now: Date,
): Promise<LinkTokenRow | undefined> {
  const query = db('link_tokens').where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', now).first();
  const record = (await wherePlace(query, place, purposes)) as LinkTokenRecord | undefined;
  return record ? toLinkTokenRow(record) : undefined;
}

/**
 * Uses the token up, if it is live at this place: one UPDATE whose WHERE says "unused", so of
 * two concurrent consumptions exactly one gets the row (the other waits on its lock, then sees
 * it used).
 */
export async function consumeLinkToken(
  db: Queryable,
  place: LinkTokenPlace,
  purposes: readonly LinkPurpose[],
  tokenHash: string,
  now: Date,
): Promise<LinkTokenRow | undefined> {
  const query = db('link_tokens').where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', now);
  const records = (await wherePlace(query, place, purposes).update({ used_at: now }).returning('*')) as LinkTokenRecord[];
  return records[0] ? toLinkTokenRow(records[0]) : undefined;
}

export async function deleteExpiredLinkTokens(db: Queryable, before: Date, batchSize = 1000): Promise<number> {
  return db('link_tokens')
    .whereIn('token_hash', db('link_tokens').select('token_hash').where('expires_at', '<=', before).limit(batchSize))
    .delete();
}
