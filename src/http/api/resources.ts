import Router from '@koa/router';
import { z } from 'zod';
import { labelField } from '../../services/account-fields.js';
import type { ApiResourceRow } from '../../db/queries/api-resources.js';
import { MANAGE, requireRole } from '../../services/access.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { CLIENT_ID_PATTERN, uuidParams } from './params.js';

const uniqueList = <T>(values: readonly T[]) => new Set(values).size === values.length;
/** RFC 6749 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

const resourceFields = {
  name: labelField,
  scopes: z.array(z.string().regex(SCOPE_TOKEN, 'must be a scope token')).max(100).refine(uniqueList, 'must not repeat a scope'),
  accessTokenFormat: z.enum(['jwt', 'opaque']),
  accessTokenTtl: z.number().int().min(60).max(86_400).nullable(),
  introspectors: z.array(z.string().regex(CLIENT_ID_PATTERN, 'must be a client id')).max(20).refine(uniqueList, 'must not repeat a client'),
};

/** An absolute URI without a fragment: the access token's `aud` (RFC 8707). */
const identifier = z
  .string()
  .max(2000)
  .refine((value) => {
    const url = URL.parse(value);
    return url !== null && !value.includes('#') && /^[a-z][a-z0-9+.-]*:/i.test(value);
  }, 'must be an absolute URI without a fragment');

export const createResourceBody = z.strictObject({
  identifier,
  name: resourceFields.name,
  scopes: resourceFields.scopes.optional(),
  accessTokenFormat: resourceFields.accessTokenFormat.optional(),
  accessTokenTtl: resourceFields.accessTokenTtl.optional(),
  introspectors: resourceFields.introspectors.optional(),
});

/** The identifier is what tokens and clients name: it does not change (make a new resource). */
export const updateResourceBody = z.strictObject({
  name: resourceFields.name.optional(),
  scopes: resourceFields.scopes.optional(),
  accessTokenFormat: resourceFields.accessTokenFormat.optional(),
  accessTokenTtl: resourceFields.accessTokenTtl.optional(),
  introspectors: resourceFields.introspectors.optional(),
});

const resourceCursor = z.strictObject({ id: z.string().uuid() });

export function toResourceResponse(resource: ApiResourceRow) {
  return {
    id: resource.id,
    tenantId: resource.tenantId,
    environmentId: resource.environmentId,
    identifier: resource.identifier,
    name: resource.name,
    scopes: resource.scopes,
    accessTokenFormat: resource.accessTokenFormat,
    accessTokenTtl: resource.accessTokenTtl,
    introspectors: resource.introspectors,
    createdAt: resource.createdAt.toISOString(),
    updatedAt: resource.updatedAt.toISOString(),
  };
}

/** /environments/:environmentId/resources: the APIs an environment issues access tokens for. */
export function createResourcesRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>({ prefix: '/environments/:environmentId/resources' });
  router.use(koaRequireTenantSession(deps));

  const environmentOf = async (ctx: Parameters<Parameters<typeof router.get>[1]>[0]) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    return { actor, environment: await services.environments.findVisible(actor, environmentId) };
  };

  router.post('/', async (ctx) => {
    const { actor, environment } = await environmentOf(ctx);
    requireRole(actor, MANAGE);
    const body = parseWith(createResourceBody, readJsonBody(ctx));
    const resource = await services.apiResources.create(actor, environment, body);
    ctx.status = 201;
    ctx.body = toResourceResponse(resource);
  });

  router.get('/', async (ctx) => {
    const { actor, environment } = await environmentOf(ctx);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(resourceCursor, query.cursor);
    const page = await services.apiResources.list(actor, environment, { limit: query.limit, afterId: after?.id });
    ctx.body = { items: page.rows.map(toResourceResponse), nextCursor: encodeCursor(page.next ? { id: page.next } : undefined) };
  });

  router.get('/:resourceId', async (ctx) => {
    const { resourceId } = uuidParams(ctx.params, 'environmentId', 'resourceId');
    const { actor, environment } = await environmentOf(ctx);
    ctx.body = toResourceResponse(await services.apiResources.get(actor, environment, resourceId));
  });

  router.patch('/:resourceId', async (ctx) => {
    const { resourceId } = uuidParams(ctx.params, 'environmentId', 'resourceId');
    const { actor, environment } = await environmentOf(ctx);
    requireRole(actor, MANAGE);
    const body = parseWith(updateResourceBody, readJsonBody(ctx));
    ctx.body = toResourceResponse(await services.apiResources.update(actor, environment, resourceId, body));
  });

  router.delete('/:resourceId', async (ctx) => {
    const { resourceId } = uuidParams(ctx.params, 'environmentId', 'resourceId');
    const { actor, environment } = await environmentOf(ctx);
    requireRole(actor, MANAGE);
    readEmptyBody(ctx);
    await services.apiResources.remove(actor, environment, resourceId);
    ctx.status = 204;
  });

  return router;
}
