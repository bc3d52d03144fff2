import type { Context, Middleware } from 'koa';
import type { Actor } from '../../services/access.js';
import { errors } from '../../errors/codes.js';
import type { AppContext, AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { isApiKey } from '../../services/api-keys.js';
import { readBearerToken, readSessionCookie, TENANT_SESSION_COOKIE } from './cookies.js';
import { assertCookieWriteOrigin, isUnsafeMethod } from './origin.js';

/** The tenant API key the request carries (`Authorization: Bearer sump_…`), or undefined. */
export function readApiKey(ctx: Context): string | undefined {
  const bearer = readBearerToken(ctx);
  return isApiKey(bearer) ? bearer : undefined;
}

/**
 * The admin API's first step: a live tenant API key (`Authorization: Bearer sump_…`), or else a
 * live `sump_session` of an enabled tenant account (401 otherwise), and for writes through that
 * cookie the origin check (403). Sets ctx.state.actor. Other bearer tokens (environment
 * sessions) mean nothing here.
 */
export function koaRequireTenantSession(deps: Pick<HttpDeps, 'config' | 'services'>): Middleware<AppState> {
  return async function requireTenantSession(ctx, next) {
    const key = readApiKey(ctx);
    if (key !== undefined) {
      const actor = await deps.services.apiKeys.authenticate(key);
      if (!actor) throw errors.unauthenticated();
      ctx.state.actor = { type: 'tenant_account', ...actor };
      await next();
      return;
    }
    const found = await deps.services.tenantAuth.authenticate(readSessionCookie(ctx, TENANT_SESSION_COOKIE));
    if (!found) throw errors.unauthenticated();
    if (isUnsafeMethod(ctx.method)) assertCookieWriteOrigin(ctx, deps.config);
    ctx.state.actor = { type: 'tenant_account', ...found.actor, sessionId: found.session.id };
    await next();
  };
}

/** The authenticated actor of a route behind koaRequireTenantSession. */
export function actorOf(ctx: AppContext): Actor {
  const actor = ctx.state.actor;
  if (!actor) throw errors.unauthenticated();
  return {
    tenantId: actor.tenantId,
    accountId: actor.accountId,
    role: actor.role,
    via: actor.via,
    apiKeyId: actor.apiKeyId,
    ipAddress: ctx.ip ? ctx.ip.slice(0, 64) : null,
  };
}
