import { readFileSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { Context } from 'koa';
import { viewsDir } from '../../paths.js';

/**
 * The pages' Content-Security-Policy: nothing inline, no framing. `script-src 'self'` (sump
 * serves no script) is there so that oidc-provider's own form_post page can add its inline
 * script's hash. No `form-action`: a login or consent form ends in a redirect to the app.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every page carries (the CSP too, so the provider's own pages get it first). */
export function setPageHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Referrer-Policy', 'no-referrer');
}

export interface Views {
  render(template: string, model: Record<string, unknown>): string;
  /** Renders a page into the response with the page headers. */
  respond(ctx: Context, template: string, model: Record<string, unknown>, status?: number): void;
  readonly stylesheet: string;
}

/** nunjucks over views/, autoescaped; templates render what handlers decided. */
export function createViews(dir = viewsDir): Views {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  const stylesheet = readFileSync(path.join(dir, 'assets', 'sump.css'), 'utf8');
  const render = (template: string, model: Record<string, unknown>) => env.render(template, model);
  return {
    render,
    respond(ctx, template, model, status = 200) {
      setPageHeaders(ctx);
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = render(template, model);
    },
    stylesheet,
  };
}
