import type { Context } from 'koa';
import type { Config } from '../../config/config.js';

/** Tenant accounts' API session. */
export const TENANT_SESSION_COOKIE = 'sump_session';
/** Environment accounts' API session (one at a time per browser). */
export const ENVIRONMENT_SESSION_COOKIE = 'sump_env_session';
const COOKIE_PATH = '/api';

type SessionCookie = typeof TENANT_SESSION_COOKIE | typeof ENVIRONMENT_SESSION_COOKIE;

function cookieOptions(ctx: Context, config: Pick<Config, 'publicUrl'>) {
  const secure = config.publicUrl.startsWith('https://');
  // Behind a TLS-terminating proxy the hop to sump is http: PUBLIC_URL says what browsers see.
  if (secure) ctx.cookies.secure = true;
  return { httpOnly: true, sameSite: 'lax' as const, path: COOKIE_PATH, secure, signed: false, overwrite: true };
}

/** The session token as an HttpOnly, SameSite=Lax cookie on /api, until the session's absolute expiry. */
export function setSessionCookie(
  ctx: Context,
  config: Pick<Config, 'publicUrl'>,
  name: SessionCookie,
  token: string,
  expiresAt: Date,
): void {
  ctx.cookies.set(name, token, { ...cookieOptions(ctx, config), expires: expiresAt });
}

export function clearSessionCookie(ctx: Context, config: Pick<Config, 'publicUrl'>, name: SessionCookie): void {
  ctx.cookies.set(name, null, cookieOptions(ctx, config));
}

/** The raw cookie value (the token is random and looked up by its hash: no signature needed). */
export function readSessionCookie(ctx: Context, name: SessionCookie): string | undefined {
  return ctx.cookies.get(name, { signed: false }) || undefined;
}

/** `Authorization: Bearer <token>`, or undefined. */
export function readBearerToken(ctx: Context): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}
