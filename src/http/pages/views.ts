import { readFileSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { Context } from 'koa';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES, pickLanguage, translateText, type Language } from '../../i18n/index.js';
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

/** Headers every page carries (the CSP too, so the provider's own pages get it first). */
export function setPageHeaders(ctx: Context, branding: Pick<PageBranding, 'imgSrc'> = NO_BRANDING): void {
  ctx.set('Content-Security-Policy', pageCsp(branding.imgSrc));
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Referrer-Policy', 'no-referrer');
}

/**
 * Sets the language of the page this request answers with (and of any error page after it):
 * a handler calls it once it knows, e.g. from the interaction's `ui_locales`.
 */
export function useLanguage(ctx: Context, language: Language): Language {
  (ctx.state as { language?: Language }).language = language;
  return language;
}

/** The browser's own language (Accept-Language), if sump speaks one it names; else English. */
function browserLanguage(ctx: Context): Language {
  const preferred = ctx.acceptsLanguages([...LANGUAGES]);
  return isLanguage(preferred) ? preferred : DEFAULT_LANGUAGE;
}

/**
 * Sets the page's language from a `ui_locales` value (see pickLanguage): what the app asked
 * for, else what the browser asks for, else English.
 */
export const useUiLocales = (ctx: Context, uiLocales: unknown): Language =>
  useLanguage(ctx, pickLanguage(uiLocales, browserLanguage(ctx)));

/**
 * Sets the page's language from a mail link's `lang` (or the form field that carries it on):
 * one of the supported codes, else English. The mail was written in it.
 */
export const useLinkLanguage = (ctx: Context, lang: unknown): Language =>
  useLanguage(ctx, isLanguage(lang) ? lang : DEFAULT_LANGUAGE);

/** The language this request's pages are in: what a handler set, else English. */
export function languageOf(ctx: Context): Language {
  const { language } = ctx.state as { language?: unknown };
  // Nothing decided it yet (an error before the page knew its sign-in): the browser's.
  return isLanguage(language) ? language : browserLanguage(ctx);
}

/** What every template gets: `lang` and `t(text, params)`, the text in that language (src/i18n). */
function withLanguage(language: Language, model: Record<string, unknown>): Record<string, unknown> {
  return { ...model, lang: language, t: (text: unknown, params?: Record<string, string | number>) => translateText(language, text, params) };
}

export interface Views {
  render(template: string, model: Record<string, unknown>): string;
  /**
   * Renders a page into the response with the page headers. A page under an issuer gets that
   * environment's branding (name, logo, stylesheet) and the CSP that goes with it; its language
   * is `model.lang`, else the one set by useLanguage, else English. Templates show text with
   * `t(key)`; `title`, `message` and the like in the model are keys (or `Text`, src/i18n).
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
  /** `model.lang` (a supported language) or English. */
  const render = (template: string, model: Record<string, unknown>) =>
    env.render(template, withLanguage(isLanguage(model.lang) ? model.lang : DEFAULT_LANGUAGE, model));
  return {
    render,
    respond(ctx, template, model, status = 200) {
      const branding = pageBranding(issuerOf(ctx));
      setPageHeaders(ctx, branding);
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = env.render(
        template,
        withLanguage(isLanguage(model.lang) ? model.lang : languageOf(ctx), {
          brand: branding.name,
          ...model,
          brandStylesheet: branding.stylesheet,
          brandLogoUrl: branding.logoUrl,
        }),
      );
    },
    stylesheet,
  };
}
