import { readFileSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { Context } from 'koa';
import { viewsDir } from '../../paths.js';
import { logoOrigin, NO_BRANDING, type PageBranding } from './branding.js';
import { issuerOf, pageBranding } from './page-context.js';

/**
 * The pages' Content-Security-Policy: nothing inline, no framing. `script-src 'self'` (sump
 * serves no script) is there so that oidc-provider's own form_post page can add its inline
 * script's hash. No `form-action`: a login or consent form ends in a redirect to the app.
 * `img-src` adds the origin of the environment's logo, on that environment's pages only.
 */
export function pageCsp(imgSrc?: string): string {
  const logo = imgSrc !== undefined && logoOrigin(imgSrc) === imgSrc ? ` ${imgSrc}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self'${logo}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const PAGE_CSP = pageCsp();

/** Headers every page carries (the CSP too, so the provider's own pages get it first). */
export function setPageHeaders(ctx: Context, branding: Pick<PageBranding, 'imgSrc'> = NO_BRANDING): void {
  ctx.set('Content-Security-Policy', pageCsp(branding.imgSrc));
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Referrer-Policy', 'no-referrer');
}

export interface Views {
  render(template: string, model: Record<string, unknown>): string;
  /**
   * Renders a page into the response with the page headers. A page under an issuer gets that
   * environment's branding (name, logo, stylesheet) and the CSP that goes with it.
   */
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
      const branding = pageBranding(issuerOf(ctx));
      setPageHeaders(ctx, branding);
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = render(template, {
        brand: branding.name,
        ...model,
        brandStylesheet: branding.stylesheet,
        brandLogoUrl: branding.logoUrl,
      });
    },
    stylesheet,
  };
}
