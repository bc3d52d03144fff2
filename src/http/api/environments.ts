import Router from '@koa/router';
import { MANAGE, requireOwnTenant, requireRole } from '../../services/access.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { uuidParams } from './params.js';
import { toEnvironmentResponse } from './responses.js';
import { environmentBody } from './schemas.js';

/** /tenants/:tenantId/environments: a tenant's issuers. */
export function createEnvironmentsRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
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

  router.get('/:environmentId', async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId, environmentId } = uuidParams(ctx.params, 'tenantId', 'environmentId');
    const environment = await services.environments.get(actor, tenantId, environmentId);
    ctx.body = toEnvironmentResponse(environment);
  });

  return router;
}
