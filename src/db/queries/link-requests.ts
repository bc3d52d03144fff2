import type { Queryable } from '../database.js';

/** What a recorded request asks for: a reset link, or a new verification link. */
export type LinkRequestPurpose = 'reset_password' | 'verify_email';

export interface LinkRequestRow {
  readonly tenantId: string;
  readonly environmentId: string | null;
  readonly id: string;
  readonly purpose: LinkRequestPurpose;
  /** The identifier's kind and normalised value, as JSON, encrypted (SecretBox `link-request`). */
  readonly identifierEncrypted: string;
  readonly interactionUid: string | null;
  readonly language: string | null;
  readonly createdAt: Date;
}

export type NewLinkRequest = Omit<LinkRequestRow, 'id' | 'createdAt'>;

interface LinkRequestRecord {
  tenant_id: string;
  environment_id: string | null;
  id: string;
  purpose: LinkRequestPurpose;
  identifier_encrypted: string;
  interaction_uid: string | null;
  language: string | null;
  created_at: Date | string;
}

const toRow = (record: LinkRequestRecord): LinkRequestRow => ({
  tenantId: record.tenant_id,
  environmentId: record.environment_id,
  id: record.id,
  purpose: record.purpose,
  identifierEncrypted: record.identifier_encrypted,
  interactionUid: record.interaction_uid,
  language: record.language,
  createdAt: new Date(record.created_at),
});

export async function insertLinkRequest(db: Queryable, request: NewLinkRequest): Promise<void> {
  await db('link_requests').insert({
    tenant_id: request.tenantId,
    environment_id: request.environmentId,
    purpose: request.purpose,
    identifier_encrypted: request.identifierEncrypted,
    interaction_uid: request.interactionUid,
    language: request.language,
  });
}

/**
 * Takes up to `limit` of the oldest requests for the caller's transaction: the rows are locked
 * and rows another processor holds are skipped, so two processors never take one request. The
 * caller deletes each (deleteLinkRequest) in the same transaction once it is processed; a crash
 * before the commit leaves them for the next run.
 */
export async function claimLinkRequests(trx: Queryable, limit: number): Promise<LinkRequestRow[]> {
  const records = (await trx('link_requests')
    .select('tenant_id', 'environment_id', 'id', 'purpose', 'identifier_encrypted', 'interaction_uid', 'language', 'created_at')
    .orderBy('created_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()) as LinkRequestRecord[];
  return records.map(toRow);
}

export async function deleteLinkRequest(trx: Queryable, request: Pick<LinkRequestRow, 'tenantId' | 'id'>): Promise<void> {
  await trx('link_requests').where({ tenant_id: request.tenantId, id: request.id }).delete();
}
