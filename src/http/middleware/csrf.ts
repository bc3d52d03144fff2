import { createHmac } from 'node:crypto';
import type { Context } from 'koa';
import { constantTimeEqual, deriveMacKey, randomToken } from '../../services/crypto.js';

const COOKIE = 'sump_csrf';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface Csrf {
  /** The token to put in a form; sets the browser's CSRF cookie when it has none. */
  token(ctx: Context): string;
  /** Whether a submitted token matches this browser's cookie. */
  verify(ctx: Context, token: unknown): boolean;
}

/**
 * Double-submit CSRF for the hosted pages: a random cookie per browser, and in each form an
 * HMAC of it under a key derived from AUTH_SECRET; a page from another site can read neither.
 */
export function createCsrf(options: { secret: string; secure: boolean }): Csrf {
  const key = deriveMacKey(options.secret, 'csrf');
  const mac = (value: string) => createHmac('sha256', key).update(value).digest('base64url');
  const read = (ctx: Context) => {
    const value = ctx.cookies.get(COOKIE);
    return value && COOKIE_VALUE.test(value) ? value : undefined;
  };
  return {
    token(ctx) {
      let value = read(ctx);
      if (!value) {
        value = randomToken(32);
        ctx.cookies.set(COOKIE, value, {
          httpOnly: true,
          sameSite: 'lax',
          secure: options.secure,
          path: '/',
          signed: false,
          overwrite: true,
        });
      }
      return mac(value);
    },
    verify(ctx, token) {
      const value = read(ctx);
      return Boolean(value) && typeof token === 'string' && constantTimeEqual(mac(value as string), token);
    },
  };
}
