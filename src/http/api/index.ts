import Router, { RouterEvents } from '@koa/router';
import type { Middleware } from 'koa';
import type { AppState } from '../context.js';
import { koaApiCors } from '../middleware/cors.js';
import { koaJsonBody } from '../middleware/json-body.js';
import { koaProblemJson } from '../middleware/problem-json.js';
import type { HttpDeps } from '../deps.js';
import { createApiKeysRouter } from './api-keys.js';
import { createClientsRouter } from './clients.js';
import { createKeysRouter } from './keys.js';
import { createResourcesRouter } from './resources.js';
import { createEnvironmentAccountsRouter } from './environment-accounts.js';
import { createEnvironmentAuthRouter } from './environment-auth.js';
import { createEnvironmentsRouter } from './environments.js';
import { createHealthRouter } from './health.js';
import { createTenantAccountsRouter } from './tenant-accounts.js';
import { createTenantAuthRouter } from './tenant-auth.js';
import { createTenantsRouter } from './tenants.js';
import { createPasswordResetRouter } from './password-reset.js';
import { createEmailVerificationRouter } from './email-verification.js';
import { createAuditEventsRouter } from './audit-events.js';
import { createOpenApiRouter } from './openapi/router.js';

const PREFIX = '/api/v1';

const koaNoStore: Middleware = async function noStore(ctx, next) {
  // Answers carry sessions, tokens and secrets: no cache keeps any of them.
  ctx.set('Cache-Control', 'no-store');
  await next();
};

/** Runs middleware in order on one context, as koa would, ending where the last one stops. */
function chain(middleware: readonly Middleware[]): (ctx: Parameters<Middleware>[0]) => Promise<void> {
  return (ctx) => {
    const dispatch = async (index: number): Promise<void> => {
      const step = middleware[index];
      if (step) await step(ctx, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}

/** The admin and auth REST API under /api/v1: problem+json errors, JSON bodies. */
export function createApiRouter(deps: HttpDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: PREFIX });
  const common: Middleware[] = [koaProblemJson(deps.logger), koaNoStore, koaApiCors(deps.config)];
  router.use(...common, koaJsonBody());
  for (const child of [
    createHealthRouter(deps),
    createTenantsRouter(deps),
    createTenantAuthRouter(deps),
    createTenantAccountsRouter(deps),
    createApiKeysRouter(deps),
    createEnvironmentsRouter(deps),
    createClientsRouter(deps),
    createKeysRouter(deps),
    createResourcesRouter(deps),
    createEnvironmentAuthRouter(deps),
    createEnvironmentAccountsRouter(deps),
    createPasswordResetRouter(deps),
    createEmailVerificationRouter(deps),
    createAuditEventsRouter(deps),
    createOpenApiRouter(deps),
  ]) {
    router.use(child.routes());
  }
  // No route took the method: CORS preflights are answered here, any other request under the
  // prefix gets its problem+json 404 or 405 (koaProblemJson reads the routes the path matched).
  const unmatched = chain(common);
  router.on(RouterEvents.NotFound, (ctx, next) =>
    ctx.path === PREFIX || ctx.path.startsWith(`${PREFIX}/`) ? unmatched(ctx) : next(),
  );
  return router;
}
