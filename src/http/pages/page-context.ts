import type { Context } from 'koa';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { resolveSettings } from '../../services/environment-settings.js';
import { brandingOf, NO_BRANDING, type PageBranding } from './branding.js';

/** The issuer a request under /oidc/:environmentId is for, set by the oidc router. */
export function issuerOf(ctx: Context): Issuer | undefined {
  return (ctx.state as { issuer?: Issuer }).issuer;
}

/** What every page of an environment shows of its branding. */
export function brandOf(issuer: Issuer | undefined): string | undefined {
  if (!issuer) return undefined;
  return resolveSettings(issuer.environment.settings).branding.displayName ?? issuer.environment.name;
}

/**
 * The branding of a page under an issuer, the one place it is decided: display name, logo,
 * stylesheet and the logo's origin for the CSP. Outside an issuer, none.
 */
export function pageBranding(issuer: Issuer | undefined): PageBranding {
  if (!issuer) return NO_BRANDING;
  const settings = resolveSettings(issuer.environment.settings);
  return brandingOf(issuer.issuerPath, settings.branding.displayName ?? issuer.environment.name, settings);
}
