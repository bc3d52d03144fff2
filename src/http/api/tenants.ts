import Router from '@koa/router';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readBearerToken, setSessionCookie, TENANT_SESSION_COOKIE } from '../middleware/cookies.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { MANAGE, requireRole } from '../../services/access.js';
import { requestMeta, uuidParams } from './params.js';
import { toCreatedSessionResponse } from './responses.js';
import { createTenantBody } from './schemas.js';
import { deleteCustomPropertyBody, setCustomPropertiesBody, updateTenantBody } from './tenant-schemas.js';
import { toTenantResponse } from './tenant-responses.js';

/** POST /tenants (a tenant, its owner, first environment and session) and /tenants/:tenantId. */
export function createTenantsRouter(deps: HttpDeps): Router<AppState> {
  const { config, services, issuers } = deps;
  const router = new Router<AppState>();
  const requireSession = koaRequireTenantSession(deps);

  router.post('/tenants', async (ctx) => {
    services.tenants.assertMayCreate(readBearerToken(ctx));
    const body = parseWith(createTenantBody, readJsonBody(ctx));
    const created = await services.tenants.create(body, requestMeta(ctx));
    setSessionCookie(ctx, config, TENANT_SESSION_COOKIE, created.issued.token, created.issued.session.expiresAt);
    ctx.status = 201;
    ctx.body = {
      tenantId: created.tenant.id,
      accountId: created.owner.id,
      environmentId: created.environment.id,
      session: toCreatedSessionResponse(created.issued.session),
    };
  });

  router.get('/tenants/:tenantId', requireSession, async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const { tenant, environments } = await services.tenants.get(actor, tenantId);
    ctx.body = toTenantResponse(tenant, environments);
  });

  router.patch('/tenants/:tenantId', requireSession, async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const tenant = await services.tenants.findVisible(actor, tenantId);
    requireRole(actor, MANAGE);
    const body = parseWith(updateTenantBody, readJsonBody(ctx));
    const updated = await services.tenants.update(actor, tenant, body);
    ctx.body = toTenantResponse(updated.tenant, updated.environments);
  });

  router.delete('/tenants/:tenantId', requireSession, async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const tenant = await services.tenants.findVisible(actor, tenantId);
    requireRole(actor, 'owner');
    readEmptyBody(ctx);
    const { environmentIds } = await services.tenants.remove(actor, tenant);
    // Its issuers are gone with it: every node drops its cached instance.
    for (const environmentId of environmentIds) await issuers.evict(environmentId);
    ctx.status = 204;
  });

  router.patch('/tenants/:tenantId/custom-property', requireSession, async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const tenant = await services.tenants.findVisible(actor, tenantId);
    requireRole(actor, MANAGE);
    const body = parseWith(setCustomPropertiesBody, readJsonBody(ctx));
    const updated = await services.tenants.setCustomProperties(actor, tenant, body);
    ctx.body = toTenantResponse(updated.tenant, updated.environments);
  });

  router.delete('/tenants/:tenantId/custom-property', requireSession, async (ctx) => {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const tenant = await services.tenants.findVisible(actor, tenantId);
    requireRole(actor, MANAGE);
    const body = parseWith(deleteCustomPropertyBody, readJsonBody(ctx));
    const updated = await services.tenants.deleteCustomProperty(actor, tenant, body.customProperty);
    ctx.body = toTenantResponse(updated.tenant, updated.environments);
  });

  return router;
}
