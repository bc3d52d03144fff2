import type { Context, Middleware } from 'koa';
import { HttpMethodEnum, koaBody } from 'koa-body';
import type { AppError } from '../../errors/app-error.js';
import { errors } from '../../errors/codes.js';
import { z } from 'zod';
import { unstorableFields } from '../../db/unstorable.js';
import { parseWith } from './validate.js';

const JSON_TYPE = 'application/json';
/** Parse failures wait here until the route reads its body, after authentication and ids. */
const bodyErrors = new WeakMap<Context, AppError>();

/** A parser's failure in the API's terms: too large, an encoding we do not read, or malformed. */
export function bodyParseError(error: unknown): AppError {
  const { status, type } = (error ?? {}) as { status?: number; type?: string };
  if (status === 413 || type === 'entity.too.large') return errors.bodyTooLarge();
  if (status === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return errors.unsupportedMediaType();
  }
  return errors.malformedJson();
}

/**
 * Parses JSON bodies (and nothing else) but does not answer for them: a malformed body is a
 * 400 only when the route reads it, so that the check order (401, id shape, 404, 403, body)
 * holds for every request.
 */
export function koaJsonBody(): Middleware {
  return koaBody({
    json: true,
    urlencoded: false,
    multipart: false,
    text: false,
    jsonTypes: [JSON_TYPE],
    jsonLimit: '100kb',
    jsonStrict: true,
    parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
    onError: (error, ctx) => {
      bodyErrors.set(ctx, bodyParseError(error));
    },
  });
}

/** No API body nests deeper than this; deeper ones are refused before anything walks them. */
export const MAX_JSON_DEPTH = 32;

/** Whether objects and arrays nest deeper than `max`, found without recursion (any depth is safe). */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<[node: unknown, depth: number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Does the request carry a body (a non-zero length, or a chunked one)? */
export function hasBody(ctx: Context): boolean {
  if (ctx.get('Transfer-Encoding')) return true;
  const length = Number(ctx.get('Content-Length') || '0');
  return Number.isFinite(length) && length > 0;
}

/**
 * The body a route validates: 415 when it is not JSON, 400 when it was malformed, `{}` when
 * there is none (the schema then names the missing fields).
 */
export function readJsonBody(ctx: Context): unknown {
  if (hasBody(ctx) && !ctx.is(JSON_TYPE)) throw errors.unsupportedMediaType();
  const failure = bodyErrors.get(ctx);
  if (failure) throw failure;
  const body = ctx.request.body ?? {};
  if (exceedsDepth(body, MAX_JSON_DEPTH)) {
    throw errors.validation([{ field: '(body)', message: `must not nest objects or arrays more than ${MAX_JSON_DEPTH} deep` }]);
  }
  const unstorable = unstorableFields(body);
  if (unstorable.length > 0) throw errors.validation(unstorable);
  return body;
}

/** The body of a route that takes none: nothing, or `{}`. */
export const emptyBody = z.strictObject({});

/**
 * For a write that takes no body: none or `{}` passes; a field is refused like any unknown
 * field (400) and a body that is not JSON like any other (415), before anything is done.
 */
export function readEmptyBody(ctx: Context): void {
  parseWith(emptyBody, readJsonBody(ctx));
}
