import Router from '@koa/router';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readBearerToken, setSessionCookie, TENANT_SESSION_COOKIE } from '../middleware/cookies.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta } from './params.js';
import { toCreatedSessionResponse } from './responses.js';
import { createTenantBody } from './schemas.js';

/** POST /tenants: a tenant, its owner and first environment, and the owner's session. */
export function createTenantsRouter(deps: HttpDeps): Router<AppState> {
  const { config, services } = deps;
  const router = new Router<AppState>();

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

  return router;
}
