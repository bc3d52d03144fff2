import Router from '@koa/router';
import { errors } from '../../errors/codes.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie, TENANT_SESSION_COOKIE } from '../middleware/cookies.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { assertCookieWriteOrigin } from '../middleware/origin.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta, uuidParams } from './params.js';
import { z } from 'zod';
import type { Context } from 'koa';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { toSessionResponse } from './responses.js';
import { lookupOf } from './account-places.js';
import { loginBody } from './schemas.js';
import { changePasswordBody } from './tenant-schemas.js';

const sessionCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

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
      lookup: lookupOf(body),
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

  /** The live session of this tenant the cookie opens (401 otherwise); writes check the origin. */
  async function sessionOf(ctx: Context & { params: Record<string, string | undefined> }) {
    const token = readSessionCookie(ctx, TENANT_SESSION_COOKIE);
    if (!token) throw errors.unauthenticated();
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const session = await services.tenantAuth.currentSession(tenantId, token);
    if (ctx.method !== 'GET') assertCookieWriteOrigin(ctx, config);
    return session;
  }

  router.post('/change-password', async (ctx) => {
    const session = await sessionOf(ctx);
    const body = parseWith(changePasswordBody, readJsonBody(ctx));
    const issued = await services.tenantAuth.changePassword({ session, ...body, meta: requestMeta(ctx) });
    setSessionCookie(ctx, config, TENANT_SESSION_COOKIE, issued.token, issued.session.expiresAt);
    ctx.body = { accountId: issued.session.accountId, session: toSessionResponse(issued.session) };
  });

  router.get('/sessions', async (ctx) => {
    const session = await sessionOf(ctx);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(sessionCursor, query.cursor);
    const page = await services.tenantAuth.listSessions(session, { limit: query.limit, after });
    ctx.body = { items: page.rows.map(toSessionResponse), nextCursor: encodeCursor(page.next) };
  });

  router.post('/logout-all', async (ctx) => {
    const session = await sessionOf(ctx);
    readEmptyBody(ctx);
    const revoked = await services.tenantAuth.logoutAll(session, requestMeta(ctx));
    clearSessionCookie(ctx, config, TENANT_SESSION_COOKIE);
    ctx.body = { revoked };
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
