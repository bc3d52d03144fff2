import Router from '@koa/router';
import { z } from 'zod';
import type { AuditEventRow } from '../../db/queries/audit-events.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { uuidParams } from './params.js';

const auditCursor = z.strictObject({
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

/** What an audit event reads (DESIGN.md): nothing else of the row goes out. */
export function toAuditEventResponse(row: AuditEventRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    target: { type: row.targetType, id: row.targetId },
    ip: row.ip,
  };
}

/** GET /tenants/:tenantId/audit-events: the tenant's audit log, newest first (owners and admins). */
export function createAuditEventsRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>();

  router.get('/tenants/:tenantId/audit-events', koaRequireTenantSession(deps), async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    // Another tenant's id (404) and a user (403) are refused before the query string is read.
    services.audit.assertMayRead(actor, tenantId);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(auditCursor, query.cursor);
    const page = await services.audit.list(actor, tenantId, { limit: query.limit, after });
    ctx.body = { items: page.rows.map(toAuditEventResponse), nextCursor: encodeCursor(page.next) };
  });

  return router;
}
