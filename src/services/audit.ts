import type { Database, Queryable } from '../db/database.js';
import { insertAuditEvent, listAuditEvents, type AuditEventPosition, type AuditEventRow } from '../db/queries/audit-events.js';
import { MANAGE, requireOwnTenant, requireRole, type Actor } from './access.js';

/**
 * The audit log (DESIGN.md, "Audit events"): every change to a tenant's data and every sign-in
 * of a tenant account, recorded by the service that makes it, after its checks passed and in
 * its transaction where it has one, so that a refused or failed action records nothing.
 */
export type AuditActorType = 'tenant_account' | 'api_key' | 'environment_account' | 'anonymous';

export interface AuditEvent {
  readonly tenantId: string;
  readonly actor: { readonly type: AuditActorType; readonly id: string | null };
  /** Dotted: `<target kind>.<what happened>` (`client.secret_rotated`). */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  readonly ip: string | null;
}

export async function record(db: Queryable, event: AuditEvent): Promise<void> {
  await insertAuditEvent(
    db,
    { tenantId: event.tenantId },
    {
      actorType: event.actor.type,
      actorId: event.actor.id,
      action: event.action,
      targetType: event.target.type,
      targetId: event.target.id,
      ip: event.ip,
    },
  );
}

/** An event of the admin API's caller: a tenant account through its session, or one of its API keys. */
export function byTenantAccount(
  actor: Actor,
  action: string,
  target: { type: string; id: string | null },
): AuditEvent {
  const by: AuditEvent['actor'] =
    actor.via === 'api_key' && actor.apiKeyId ? { type: 'api_key', id: actor.apiKeyId } : { type: 'tenant_account', id: actor.accountId };
  return { tenantId: actor.tenantId, actor: by, action, target, ip: actor.ipAddress ?? null };
}

/** An event of an account acting on itself (a sign-in, its own password, its own sessions). */
export function selfEvent(
  tenantId: string,
  account: { type: 'tenant_account' | 'environment_account'; id: string },
  action: string,
  ip: string | null,
): AuditEvent {
  return { tenantId, actor: account, action, target: account, ip };
}

export interface AuditService {
  /** Owners and admins of the tenant: another tenant's id is a 404, a user a 403. */
  assertMayRead(actor: Actor, tenantId: string): void;
  /** The tenant's events, newest first (owners and admins; another tenant's id is a 404). */
  list(
    actor: Actor,
    tenantId: string,
    page: { limit: number; after?: AuditEventPosition | undefined },
  ): Promise<{ rows: AuditEventRow[]; next: AuditEventPosition | undefined }>;
}

export function createAuditService(deps: { db: Database }): AuditService {
  const { db } = deps;
  function assertMayRead(actor: Actor, tenantId: string): void {
    requireOwnTenant(actor, tenantId);
    requireRole(actor, MANAGE);
  }
  return {
    assertMayRead,
    async list(actor, tenantId, page) {
      assertMayRead(actor, tenantId);
      return listAuditEvents(db, { tenantId }, page);
    },
  };
}
