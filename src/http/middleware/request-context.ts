import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { AppState } from '../context.js';
import type { Logger } from '../../logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A request id (taken from x-request-id when it is sane) and one access-log line per request. */
export function koaRequestContext(logger: Logger): Middleware<AppState> {
  return async function requestContext(ctx, next) {
    const incoming = ctx.get('x-request-id');
    ctx.state.requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: query strings carry codes, tokens and id_token_hint.
      logger.debug({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
    }
  };
}
