import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { EnvironmentSettings } from '../../services/environment-settings.js';
import { plainHttpsOrigin } from '../../services/url-rules.js';

/** Exactly what a stored brand colour may be; checked again here so nothing else reaches CSS. */
const HEX_COLOR = /^#[0-9a-f]{6}$/i;
/** Text on the brand colour: whichever of these reads better on it (WCAG contrast ratio). */
const LIGHT_TEXT = '#ffffff';
const DARK_TEXT = '#111827';
/** WCAG AA for normal text: a brand colour below it against white is not used for links. */
const READABLE = 4.5;

/** What an environment's pages show of its branding, and what their CSP allows for it. */
export interface PageBranding {
  /** The display name (or the environment's name). */
  readonly name: string | undefined;
  /** The logo to show, https; only when its origin is a plain one. */
  readonly logoUrl: string | undefined;
  /** The per-environment stylesheet, versioned by its content. */
  readonly stylesheet: string | undefined;
  /** The logo's origin, for `img-src`. */
  readonly imgSrc: string | undefined;
}

export const NO_BRANDING: PageBranding = Object.freeze({
  name: undefined,
  logoUrl: undefined,
  stylesheet: undefined,
  imgSrc: undefined,
});

function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** The WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/**
 * The environment's stylesheet: custom properties that sump.css reads, nothing else.
 * `--brand` (buttons, focus), `--brand-text` (text on it), `--brand-link` (links and text in the
 * brand colour on white: the brand colour itself when it reads there, else the text colour).
 * Without a valid colour it sets nothing, and sump.css's defaults apply.
 */
export function brandingCss(settings: EnvironmentSettings): string {
  const color = settings.branding.primaryColor;
  if (color === null || !HEX_COLOR.test(color)) return ':root {}\n';
  const brand = color.toLowerCase();
  const text = contrastRatio(brand, LIGHT_TEXT) >= contrastRatio(brand, DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
  const link = contrastRatio(brand, LIGHT_TEXT) >= READABLE ? brand : DARK_TEXT;
  return `:root { --brand: ${brand}; --brand-text: ${text}; --brand-link: ${link}; }\n`;
}

/** A short version of the stylesheet's content: its URL changes when the colour does. */
export function brandingVersion(css: string): string {
  return createHash('sha256').update(css).digest('base64url').slice(0, 12);
}

/** The logo's origin when it is a plain https origin, else undefined (and the logo is not shown). */
export const logoOrigin = plainHttpsOrigin;

/** The branding of an environment's pages, from its resolved settings. */
export function brandingOf(issuerPath: string, name: string, settings: EnvironmentSettings): PageBranding {
  const imgSrc = logoOrigin(settings.branding.logoUrl);
  const version = brandingVersion(brandingCss(settings));
  return {
    name,
    logoUrl: imgSrc ? (settings.branding.logoUrl ?? undefined) : undefined,
    stylesheet: `${issuerPath}/branding.css?v=${version}`,
    imgSrc,
  };
}

/**
 * GET /oidc/:envId/branding.css. Cached briefly (5 minutes) and revalidated by its ETag; pages
 * link it with `?v=<version of the content>`, so a changed colour shows on the next page load.
 */
export function serveBrandingCss(ctx: Context, settings: EnvironmentSettings): void {
  const css = brandingCss(settings);
  ctx.remove('Pragma');
  ctx.set('Cache-Control', 'public, max-age=300');
  ctx.status = 200;
  ctx.type = 'text/css; charset=utf-8';
  ctx.etag = brandingVersion(css);
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.body = css;
}
