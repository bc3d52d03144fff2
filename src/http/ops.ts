import Router from '@koa/router';
import type { AppState } from './context.js';
import type { HttpDeps } from './deps.js';

/** Liveness, readiness (database reachable) and Prometheus metrics, outside the API prefix. */
export function createOpsRouter(deps: HttpDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const ready = await deps.services.health.isDatabaseReachable();
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ok' : 'unavailable' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.services.metrics.contentType;
    ctx.body = await deps.services.metrics.render();
  });
  return router;
}
