import type { Context } from 'koa';
import { ENVIRONMENT_SESSION_COOKIE, readBearerToken, readSessionCookie } from '../middleware/cookies.js';

/** The environment session a request carries: a bearer token first, else the cookie. */
export function environmentCredential(ctx: Context): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const bearer = readBearerToken(ctx);
  if (bearer) return { token: bearer, via: 'bearer' };
  const cookie = readSessionCookie(ctx, ENVIRONMENT_SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}
