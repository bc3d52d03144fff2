import type { Context, Middleware } from 'koa';
import { AppError, isAppError } from '../../errors/app-error.js';
import { errors } from '../../errors/codes.js';
import { RateLimitedError } from '../../services/rate-limits.js';
import type { Logger } from '../../logger.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { isUnstorableInputError } from '../../db/unstorable.js';

/** Maps any thrown error to an AppError, logging what the caller must not see. */
export function toAppError(error: unknown, logger: Logger): AppError {
  if (isAppError(error)) return error;
  const status = (error as { status?: number; statusCode?: number }).status;
  const type = (error as { type?: string }).type;
  // koa-body / raw-body failures arrive as http-errors with a status and a type
  const fromBodyParser = typeof (error as { body?: unknown }).body === 'string';
  if (type === 'entity.parse.failed' || (status === 400 && (fromBodyParser || /JSON/i.test(String((error as Error).message))))) {
    return errors.malformedJson();
  }
  if (status === 413 || type === 'entity.too.large') return errors.bodyTooLarge();
  if (status === 415) return errors.unsupportedMediaType();
  if (isUnstorableInputError(error)) return errors.unstorableInput();
  if (isDatabaseUnavailable(error)) {
    logger.warn({ err: error }, 'database unavailable');
    return errors.unavailable();
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('request.invalid', status, 'The request is not valid.');
  }
  logger.error({ err: error }, 'unexpected error');
  return errors.internal();
}

/** RFC 9457 problem details for the admin and auth API. */
export function problemBody(error: AppError) {
  return {
    type: `urn:sump:problem:${error.code}`,
    title: error.detail,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
  };
}

/** The methods of the routes whose path matched (koa-router's ctx.matched), when none took the request. */
function allowedMethodsOf(ctx: Context): string[] {
  const matched = (ctx as Context & { matched?: Array<{ methods?: string[] }> }).matched ?? [];
  return [...new Set(matched.flatMap((layer) => layer.methods ?? []))];
}

export function koaProblemJson(logger: Logger): Middleware {
  return async function problemJson(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        const allowed = allowedMethodsOf(ctx);
        if (allowed.length === 0) throw errors.notFoundRoute();
        ctx.set('Allow', allowed.join(', '));
        if (ctx.method !== 'OPTIONS') throw errors.methodNotAllowed();
        ctx.status = 204;
      }
    } catch (error) {
      const appError = toAppError(error, logger);
      ctx.status = appError.status;
      ctx.type = 'application/problem+json';
      ctx.body = problemBody(appError);
      if (appError.status === 503) ctx.set('Retry-After', '5');
      if (appError instanceof RateLimitedError) ctx.set('Retry-After', String(appError.retryAfterSeconds));
    }
  };
}
