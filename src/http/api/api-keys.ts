import Router from '@koa/router';
import { z } from 'zod';
import { labelField } from '../../services/account-fields.js';
import type { ApiKeyRow } from '../../db/queries/api-keys.js';
import type { AppContext, AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { uuidParams } from './params.js';

export const createApiKeyBody = z.strictObject({
  name: labelField,
  role: z.enum(['admin', 'read-only']),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .transform((value) => new Date(value))
    .refine((date) => date.getTime() > Date.now(), 'must be in the future')
    .optional(),
});

const apiKeyCursor = z.strictObject({ id: z.uuid() });

/** A key's entity, field by field: its hash cannot reach a body, the key only in `create`'s. */
export function toApiKeyResponse(key: ApiKeyRow) {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    keyPrefix: key.keyPrefix,
    createdBy: key.createdBy,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}

/** /tenants/:tenantId/api-keys: keys for scripts (see services/api-keys.ts). */
export function createApiKeysRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>({ prefix: '/tenants/:tenantId/api-keys' });
  router.use(koaRequireTenantSession(deps));

  /** The actor, the path's ids (400 when malformed), then the tenant (404 unless the actor's own). */
  async function tenantOf(ctx: AppContext, ...ids: Array<'keyId'>) {
    const actor = actorOf(ctx);
    const params = uuidParams(ctx.params, 'tenantId', ...ids);
    const tenant = await services.tenants.findVisible(actor, params.tenantId);
    return { actor, tenant, keyId: ids.length > 0 ? params.keyId : '' };
  }

  router.post('/', async (ctx) => {
    const { actor, tenant } = await tenantOf(ctx);
    // Role and session are checked before the body is read (401, 400 ids, 404, 403, body).
    services.apiKeys.assertMayManage(actor);
    const body = parseWith(createApiKeyBody, readJsonBody(ctx));
    const { row, key } = await services.apiKeys.create(actor, tenant, body);
    ctx.status = 201;
    ctx.body = { ...toApiKeyResponse(row), key };
  });

  router.get('/', async (ctx) => {
    const { actor, tenant } = await tenantOf(ctx);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(apiKeyCursor, query.cursor);
    const page = await services.apiKeys.list(actor, tenant, { limit: query.limit, afterId: after?.id });
    ctx.body = { items: page.rows.map(toApiKeyResponse), nextCursor: encodeCursor(page.next ? { id: page.next } : undefined) };
  });

  router.delete('/:keyId', async (ctx) => {
    const { actor, tenant, keyId } = await tenantOf(ctx, 'keyId');
    services.apiKeys.assertMayManage(actor);
    readEmptyBody(ctx);
    await services.apiKeys.revoke(actor, tenant, keyId);
    ctx.status = 204;
  });

  return router;
}
