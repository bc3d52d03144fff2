import type { Middleware } from 'koa';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';

/** Everything under /oidc/:environmentId: the hosted pages, then the environment's provider. */
export function createOidcRouter(_deps: HttpDeps): Middleware<AppState> {
  return async function oidc(_ctx, next) {
    await next();
  };
}
