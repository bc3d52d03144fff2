import Router from '@koa/router';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';

const startedAt = Date.now();

/** GET /api/v1/health: liveness, as the original sump answered it. */
export function createHealthRouter(_deps: HttpDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', timestamp: new Date().toISOString(), uptime: (Date.now() - startedAt) / 1000 };
  });
  return router;
}
