import Router from '@koa/router';
import type { AppState } from '../../context.js';
import type { HttpDeps } from '../../deps.js';
import { buildOpenApiDocument } from './document.js';

/** The document holds no secret and changes only with a deploy: caches may keep it a few minutes. */
const CACHE_CONTROL = 'public, max-age=300';

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document, built once when the app is built. */
export function createOpenApiRouter(deps: Pick<HttpDeps, 'config'>): Router<AppState> {
  const document = JSON.stringify(buildOpenApiDocument({ serverUrl: `${deps.config.publicUrl}/api/v1`, version: '1' }));
  const router = new Router<AppState>();
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', CACHE_CONTROL);
    ctx.type = 'application/json';
    ctx.body = document;
  });
  return router;
}
