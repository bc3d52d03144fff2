import Router from '@koa/router';
import { errors } from '../../errors/codes.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie, TENANT_SESSION_COOKIE } from '../middleware/cookies.js';
import { readJsonBody } from '../middleware/json-body.js';
import { assertCookieWriteOrigin } from '../middleware/origin.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta, uuidParams } from './params.js';
import { toSessionResponse } from './responses.js';
import { loginBody, loginLookup } from './schemas.js';

/** /auth/tenants/:tenantId/…: tenant accounts sign in and out (the `sump_session` cookie). */
export function createTenantAuthRouter(deps: HttpDeps): Router<AppState> {
  const { config, services } = deps;
  const router = new Router<AppState>({ prefix: '/auth/tenants/:tenantId' });

  router.post('/login', async (ctx) => {
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const tenant = await services.tenantAuth.findTenant(tenantId);
    const body = parseWith(loginBody, readJsonBody(ctx));
    const { account, issued } = await services.tenantAuth.login({
      tenant,
      lookup: loginLookup(body),
      password: body.password,
      meta: requestMeta(ctx),
    });
    setSessionCookie(ctx, config, TENANT_SESSION_COOKIE, issued.token, issued.session.expiresAt);
    ctx.body = { accountId: account.id, session: toSessionResponse(issued.session) };
  });

  router.post('/logout', async (ctx) => {
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const token = readSessionCookie(ctx, TENANT_SESSION_COOKIE);
    if (token) {
      assertCookieWriteOrigin(ctx, config);
      await services.tenantAuth.logout(tenantId, token);
    }
    clearSessionCookie(ctx, config, TENANT_SESSION_COOKIE);
    ctx.status = 204;
  });

  router.get('/session', async (ctx) => {
    const token = readSessionCookie(ctx, TENANT_SESSION_COOKIE);
    if (!token) throw errors.unauthenticated();
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const session = await services.tenantAuth.currentSession(tenantId, token);
    ctx.body = toSessionResponse(session);
  });

  return router;
}
