import type { Middleware } from 'koa';

/** Headers every answer carries; pages add their own Content-Security-Policy. */
export function koaSecurityHeaders(): Middleware {
  return async function securityHeaders(ctx, next) {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    await next();
  };
}
