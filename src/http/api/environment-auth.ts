import Router from '@koa/router';
import type { Context } from 'koa';
import type { ApiSessionRow } from '../../db/queries/api-sessions.js';
import { errors } from '../../errors/codes.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import {
  clearSessionCookie,
  ENVIRONMENT_SESSION_COOKIE,
  readBearerToken,
  readSessionCookie,
  setSessionCookie,
} from '../middleware/cookies.js';
import { readJsonBody } from '../middleware/json-body.js';
import { assertCookieWriteOrigin } from '../middleware/origin.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta, uuidParams } from './params.js';
import { toSessionResponse } from './responses.js';
import { loginBody, loginLookup, signupBody } from './schemas.js';

/** The environment session a request carries: a bearer token first, else the cookie. */
function environmentCredential(ctx: Context): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const bearer = readBearerToken(ctx);
  if (bearer) return { token: bearer, via: 'bearer' };
  const cookie = readSessionCookie(ctx, ENVIRONMENT_SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

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
      lookup: loginLookup(body),
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

  router.get('/session', async (ctx) => {
    const credential = environmentCredential(ctx);
    if (!credential) throw errors.unauthenticated();
    const environment = await environmentOf(ctx.params);
    const session = await services.environmentAuth.currentSession(environment, credential.token);
    ctx.body = toSessionResponse(session);
  });

  return router;
}
