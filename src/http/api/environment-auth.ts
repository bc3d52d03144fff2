import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { ApiSessionRow } from '../../db/queries/api-sessions.js';
import { errors } from '../../errors/codes.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { clearSessionCookie, ENVIRONMENT_SESSION_COOKIE, setSessionCookie } from '../middleware/cookies.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { assertCookieWriteOrigin } from '../middleware/origin.js';
import { parseWith } from '../middleware/validate.js';
import { environmentCredential } from './environment-credential.js';
import { changePasswordBody } from './environment-schemas.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { requestMeta, uuidParams } from './params.js';
import { toSessionResponse } from './responses.js';
import { lookupOf } from './account-places.js';
import { loginBody, signupBody } from './schemas.js';

const sessionCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

/** /auth/environments/:environmentId/…: environment accounts sign up, in and out. */
export function createEnvironmentAuthRouter(deps: HttpDeps): Router<AppState> {
  const { config, services } = deps;
  const router = new Router<AppState>({ prefix: '/auth/environments/:environmentId' });

  async function environmentOf(params: Record<string, string | undefined>) {
    const { environmentId } = uuidParams(params, 'environmentId');
    const environment = await services.environments.findById(environmentId);
    if (!environment) throw errors.environmentNotFound();
    return environment;
  }

  function answerWithSession(ctx: Context, accountId: string, issued: { token: string; session: ApiSessionRow } | null) {
    if (issued) setSessionCookie(ctx, config, ENVIRONMENT_SESSION_COOKIE, issued.token, issued.session.expiresAt);
    ctx.body = {
      accountId,
      session: issued ? toSessionResponse(issued.session) : null,
      sessionToken: issued ? issued.token : null,
    };
  }

  router.post('/signup', async (ctx) => {
    const environment = await environmentOf(ctx.params);
    services.environmentAuth.assertSignupOpen(environment);
    const body = parseWith(signupBody, readJsonBody(ctx));
    const { account, issued } = await services.environmentAuth.signup({ environment, account: body, meta: requestMeta(ctx) });
    answerWithSession(ctx, account.id, issued);
    ctx.status = 201;
  });

  router.post('/login', async (ctx) => {
    const environment = await environmentOf(ctx.params);
    const body = parseWith(loginBody, readJsonBody(ctx));
    const { account, issued } = await services.environmentAuth.login({
      environment,
      lookup: lookupOf(body),
      password: body.password,
      meta: requestMeta(ctx),
    });
    answerWithSession(ctx, account.id, issued);
  });

  router.post('/logout', async (ctx) => {
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const credential = environmentCredential(ctx);
    if (credential) {
      if (credential.via === 'cookie') assertCookieWriteOrigin(ctx, config);
      const environment = await services.environments.findById(environmentId);
      if (environment) await services.environmentAuth.logout(environment, credential.token);
    }
    clearSessionCookie(ctx, config, ENVIRONMENT_SESSION_COOKIE);
    ctx.status = 204;
  });

  /** 401 → id shape → environment (404) → the live session; a cookie write also checks its origin. */
  async function currentSessionOf(ctx: Context) {
    const credential = environmentCredential(ctx);
    if (!credential) throw errors.unauthenticated();
    const environment = await environmentOf(ctx.params as Record<string, string | undefined>);
    const session = await services.environmentAuth.currentSession(environment, credential.token);
    if (credential.via === 'cookie' && ctx.method !== 'GET') assertCookieWriteOrigin(ctx, config);
    return { environment, session, credential };
  }

  router.post('/change-password', async (ctx) => {
    const { environment, session } = await currentSessionOf(ctx);
    const body = parseWith(changePasswordBody, readJsonBody(ctx));
    const issued = await services.environmentAuth.changePassword({
      environment,
      session,
      currentPassword: body.currentPassword,
      newPassword: body.newPassword,
      meta: requestMeta(ctx),
    });
    answerWithSession(ctx, session.accountId, issued);
  });

  router.get('/sessions', async (ctx) => {
    const { environment, session } = await currentSessionOf(ctx);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(sessionCursor, query.cursor);
    const page = await services.environmentAuth.listSessions(environment, session, { limit: query.limit, after });
    ctx.body = { items: page.rows.map(toSessionResponse), nextCursor: encodeCursor(page.next) };
  });

  router.post('/logout-all', async (ctx) => {
    const { environment, session } = await currentSessionOf(ctx);
    readEmptyBody(ctx);
    const revoked = await services.environmentAuth.logoutAll(environment, session, requestMeta(ctx));
    clearSessionCookie(ctx, config, ENVIRONMENT_SESSION_COOKIE);
    ctx.body = { revoked };
  });

  router.get('/session', async (ctx) => {
    const credential = environmentCredential(ctx);
    if (!credential) throw errors.unauthenticated();
    const environment = await environmentOf(ctx.params);
    const session = await services.environmentAuth.currentSession(environment, credential.token);
    ctx.body = toSessionResponse(session);
  });

  return router;
}
