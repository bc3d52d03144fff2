import type { Middleware } from 'koa';
import type { Config } from '../../config/config.js';

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Content-Type, Authorization';

/**
 * CORS for the admin API: only the origins in CORS_ORIGINS, with credentials (the admin UI
 * sends its session cookie). Preflights are answered here.
 */
export function koaApiCors(config: Pick<Config, 'corsOrigins'>): Middleware {
  return async function apiCors(ctx, next) {
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    const allowed = origin !== '' && config.corsOrigins.includes(origin);
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      if (allowed) {
        ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
        ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        ctx.set('Access-Control-Max-Age', '600');
      }
      ctx.status = 204;
      return;
    }
    await next();
  };
}
