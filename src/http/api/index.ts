import Router from '@koa/router';
import { HttpMethodEnum, koaBody } from 'koa-body';
import type { AppState } from '../context.js';
import { koaProblemJson } from '../middleware/problem-json.js';
import type { HttpDeps } from '../deps.js';
import { createHealthRouter } from './health.js';

/** The admin and auth REST API under /api/v1: problem+json errors, JSON bodies. */
export function createApiRouter(deps: HttpDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.use(koaProblemJson(deps.logger));
  router.use(
    koaBody({
      json: true,
      urlencoded: false,
      multipart: false,
      text: false,
      jsonLimit: '100kb',
      jsonStrict: true,
      parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
    }),
  );
  const health = createHealthRouter(deps);
  router.use(health.routes(), health.allowedMethods());
  return router;
}
