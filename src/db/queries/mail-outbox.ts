import type { Queryable } from '../database.js';

export interface OutboxMail {
  readonly tenantId: string;
  readonly id: string;
  readonly environmentId: string | null;
  readonly to: string;
  readonly subject: string;
  readonly bodyEncrypted: string;
  readonly attempts: number;
}

interface OutboxRecord {
  tenant_id: string;
  id: string;
  environment_id: string | null;
  to_address: string;
  subject: string;
  body_encrypted: string;
  attempts: number;
  created_at?: Date;
}

const toMail = (record: OutboxRecord): OutboxMail => ({
  tenantId: record.tenant_id,
  id: record.id,
  environmentId: record.environment_id,
  to: record.to_address,
  subject: record.subject,
  bodyEncrypted: record.body_encrypted,
  attempts: record.attempts,
});

export async function insertOutboxMail(
  db: Queryable,
  mail: { tenantId: string; environmentId: string | null; to: string; subject: string; bodyEncrypted: string },
): Promise<string> {
  const [record] = (await db('mail_outbox')
    .insert({
      tenant_id: mail.tenantId,
      environment_id: mail.environmentId,
      to_address: mail.to,
      subject: mail.subject,
      body_encrypted: mail.bodyEncrypted,
    })
    .returning('id')) as Array<{ id: string }>;
  return (record as { id: string }).id;
}

/**
 * Takes up to `limit` mails that are due, for this sender only: each is moved out of reach
 * (next attempt pushed by `leaseSeconds`) inside the claiming transaction, and rows another
 * node holds are skipped, so two senders never send one mail twice at once.
 */
export async function claimDueMails(db: Queryable, now: Date, limit: number, leaseSeconds: number): Promise<OutboxMail[]> {
  const due = db('mail_outbox')
    .select('tenant_id', 'id')
    .where({ status: 'pending' })
    .andWhere('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  const records = (await db('mail_outbox')
    .whereIn(['tenant_id', 'id'], due)
    .update({ next_attempt_at: new Date(now.getTime() + leaseSeconds * 1000) })
    .returning(['tenant_id', 'id', 'environment_id', 'to_address', 'subject', 'body_encrypted', 'attempts', 'created_at'])) as OutboxRecord[];
  // UPDATE … RETURNING has no order: sent in the order they were queued, so a person's mails
  // arrive as they were caused (a signup's link before a later reset link).
  const queuedAt = (record: OutboxRecord) => new Date(record.created_at ?? 0).getTime();
  return records.sort((a, b) => queuedAt(a) - queuedAt(b)).map(toMail);
}

export async function markMailSent(db: Queryable, mail: Pick<OutboxMail, 'tenantId' | 'id'>, now: Date): Promise<void> {
  await db('mail_outbox')
    .where({ tenant_id: mail.tenantId, id: mail.id })
    .update({ status: 'sent', sent_at: now, attempts: db.raw('attempts + 1'), last_error: null });
}

/** A failed attempt: retried at `retryAt`, or given up (`failed`) when there is none. */
export async function markMailAttemptFailed(
  db: Queryable,
  mail: Pick<OutboxMail, 'tenantId' | 'id'>,
  error: string,
  retryAt: Date | undefined,
): Promise<void> {
  await db('mail_outbox')
    .where({ tenant_id: mail.tenantId, id: mail.id })
    .update({
      attempts: db.raw('attempts + 1'),
      last_error: error.slice(0, 500),
      ...(retryAt ? { next_attempt_at: retryAt } : { status: 'failed' }),
    });
}
