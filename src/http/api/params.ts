import type { Context } from 'koa';
import { errors } from '../../errors/codes.js';
import type { RequestMeta } from '../../services/api-sessions.js';
import { CLIENT_ID_PATTERN } from '../../db/queries/clients.js';

/** A UUID's shape (any version); anything else in an id's place is a 400, never a 500. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export { CLIENT_ID_PATTERN } from '../../db/queries/clients.js';

/** The path's UUID parameters, lower-cased; the first malformed one is a 400 naming it. */
export function uuidParams<K extends string>(params: Record<string, string | undefined>, ...names: K[]): Record<K, string> {
  const result = {} as Record<K, string>;
  for (const name of names) {
    const value = params[name];
    if (value === undefined || !UUID_PATTERN.test(value)) throw errors.invalidId(name);
    result[name] = value.toLowerCase();
  }
  return result;
}

export function clientIdParam(params: Record<string, string | undefined>, name = 'clientId'): string {
  const value = params[name];
  if (value === undefined || !CLIENT_ID_PATTERN.test(value)) throw errors.invalidId(name);
  return value;
}

/** Where a request came from, as a session records it (ctx.ip honours TRUST_PROXY only). */
export function requestMeta(ctx: Context): RequestMeta {
  const userAgent = ctx.get('User-Agent');
  return { ipAddress: ctx.ip ? ctx.ip.slice(0, 64) : null, userAgent: userAgent ? userAgent.slice(0, 512) : null };
}
