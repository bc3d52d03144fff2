import Router from '@koa/router';
import type { AppState } from '../context.js';
import { koaApiCors } from '../middleware/cors.js';
import { koaJsonBody } from '../middleware/json-body.js';
import { koaProblemJson } from '../middleware/problem-json.js';
import type { HttpDeps } from '../deps.js';
import { createClientsRouter } from './clients.js';
import { createEnvironmentAuthRouter } from './environment-auth.js';
import { createEnvironmentsRouter } from './environments.js';
import { createHealthRouter } from './health.js';
import { createTenantAuthRouter } from './tenant-auth.js';
import { createTenantsRouter } from './tenants.js';

/** The admin and auth REST API under /api/v1: problem+json errors, JSON bodies. */
export function createApiRouter(deps: HttpDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.use(koaProblemJson(deps.logger));
  router.use(async (ctx, next) => {
    // Answers carry sessions, tokens and secrets: no cache keeps any of them.
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(koaApiCors(deps.config));
  router.use(koaJsonBody());
  for (const child of [
    createHealthRouter(deps),
    createTenantsRouter(deps),
    createTenantAuthRouter(deps),
    createEnvironmentsRouter(deps),
    createClientsRouter(deps),
    createEnvironmentAuthRouter(deps),
  ]) {
    router.use(child.routes(), child.allowedMethods());
  }
  return router;
}
