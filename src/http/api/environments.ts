import Router from '@koa/router';
import { z } from 'zod';
import { MANAGE, requireOwnTenant, requireRole } from '../../services/access.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import {
  deleteCustomPropertyBody,
  environmentListQuery,
  setCustomPropertyBody,
  updateEnvironmentBody,
} from './environment-schemas.js';
import { decodeCursor, encodeCursor } from './pagination.js';
import { uuidParams } from './params.js';
import { toEnvironmentResponse } from './responses.js';
import { environmentBody } from './schemas.js';

const environmentCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

/** /tenants/:tenantId/environments: a tenant's issuers. */
export function createEnvironmentsRouter(deps: HttpDeps): Router<AppState> {
  const { services, issuers } = deps;
  const router = new Router<AppState>({ prefix: '/tenants/:tenantId/environments' });
  router.use(koaRequireTenantSession(deps));

  router.post('/', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    requireOwnTenant(actor, tenantId);
    requireRole(actor, MANAGE);
    const body = parseWith(environmentBody, readJsonBody(ctx));
    const environment = await services.environments.create(actor, tenantId, body);
    ctx.status = 201;
    ctx.body = toEnvironmentResponse(environment);
  });

  router.get('/', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    requireOwnTenant(actor, tenantId);
    const query = parseWith(environmentListQuery, ctx.query);
    const after = decodeCursor(environmentCursor, query.cursor);
    const page = await services.environments.list(actor, tenantId, { limit: query.limit, after, name: query.name });
    ctx.body = { items: page.rows.map(toEnvironmentResponse), nextCursor: encodeCursor(page.next) };
  });

  router.get('/:environmentId', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    ctx.body = toEnvironmentResponse(environment);
  });

  router.patch('/:environmentId', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    requireRole(actor, MANAGE);
    const body = parseWith(updateEnvironmentBody, readJsonBody(ctx));
    const updated = await services.environments.update(actor, environment, body);
    // Settings shape the issuer: every node rebuilds it.
    await issuers.evict(environment.id);
    ctx.body = toEnvironmentResponse(updated);
  });

  router.delete('/:environmentId', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    requireRole(actor, MANAGE);
    readEmptyBody(ctx);
    await services.environments.remove(actor, environment);
    await issuers.evict(environment.id);
    ctx.status = 204;
  });

  router.patch('/:environmentId/custom-property', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    requireRole(actor, MANAGE);
    const body = parseWith(setCustomPropertyBody, readJsonBody(ctx));
    ctx.body = toEnvironmentResponse(await services.environments.setCustomProperties(actor, environment, body));
  });

  router.delete('/:environmentId/custom-property', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    requireRole(actor, MANAGE);
    const body = parseWith(deleteCustomPropertyBody, readJsonBody(ctx));
    ctx.body = toEnvironmentResponse(await services.environments.deleteCustomProperty(actor, environment, body.customProperty));
  });

  return router;
}
