import type { Queryable } from '../database.js';
import type { TenantScope } from '../scope.js';

export interface AuditEventRow {
  readonly tenantId: string;
  readonly id: string;
  readonly at: Date;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly ip: string | null;
}

export interface NewAuditEvent {
  readonly actorType: string;
  readonly actorId: string | null;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly ip: string | null;
}

interface AuditEventRecord {
  tenant_id: string;
  id: string;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
}

const toRow = (record: AuditEventRecord): AuditEventRow => ({
  tenantId: record.tenant_id,
  id: record.id,
  at: new Date(record.at),
  actorType: record.actor_type,
  actorId: record.actor_id,
  action: record.action,
  targetType: record.target_type,
  targetId: record.target_id,
  ip: record.ip,
});

export async function insertAuditEvent(db: Queryable, scope: TenantScope, event: NewAuditEvent): Promise<void> {
  await db('audit_events').insert({
    tenant_id: scope.tenantId,
    actor_type: event.actorType,
    actor_id: event.actorId,
    action: event.action,
    target_type: event.targetType,
    target_id: event.targetId,
    ip: event.ip,
  });
}

/** Where a page of events ends: the last row's time (to the microsecond) and id. */
export interface AuditEventPosition {
  readonly at: string;
  readonly id: string;
}

const POSITION_AT = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A tenant's events, newest first (keyset on (at, id), the index's order). */
export async function listAuditEvents(
  db: Queryable,
  scope: TenantScope,
  page: { limit: number; after?: AuditEventPosition | undefined },
): Promise<{ rows: AuditEventRow[]; next: AuditEventPosition | undefined }> {
  const query = db<AuditEventRecord>('audit_events')
    .where({ tenant_id: scope.tenantId })
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  if (page.after) query.andWhereRaw('(at, id) < (?::timestamptz, ?::uuid)', [page.after.at, page.after.id]);
  const records = (await query) as unknown as Array<AuditEventRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { at: last.position_at, id: last.id } : undefined;
  return { rows: rows.map(toRow), next };
}
