import type { Context } from 'koa';
import type { Config } from '../../config/config.js';
import { errors } from '../../errors/codes.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isUnsafeMethod = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/**
 * A write authenticated by a cookie must come from sump's own origin or one in CORS_ORIGINS.
 * An `Origin` outside those, or (for any other origin) a `Sec-Fetch-Site` other than
 * same-origin / none, is a 403; a request with neither header (curl, scripts) passes.
 */
export function assertCookieWriteOrigin(ctx: Context, config: Pick<Config, 'publicUrl' | 'corsOrigins'>): void {
  const origin = ctx.get('Origin');
  if (origin) {
    // An origin the operator listed is let in even though the browser calls it cross-site.
    if (config.corsOrigins.includes(origin)) return;
    if (origin !== new URL(config.publicUrl).origin) throw errors.crossOrigin();
  }
  const site = ctx.get('Sec-Fetch-Site');
  if (site && site !== 'same-origin' && site !== 'none') throw errors.crossOrigin();
}
