import type { Context } from 'koa';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { brandOfEnvironment, resolveSettings } from '../../services/environment-settings.js';
import { brandingOf, NO_BRANDING, type PageBranding } from './branding.js';

/** The issuer a request under /oidc/:environmentId is for, set by the oidc router. */
export function issuerOf(ctx: Context): Issuer | undefined {
  return (ctx.state as { issuer?: Issuer }).issuer;
}

/** What every page of an environment shows of its branding. */
export function brandOf(issuer: Issuer | undefined): string | undefined {
  return issuer && brandOfEnvironment(issuer.environment);
}

/** An issuer is rebuilt when its environment changes: its pages' branding is worked out once. */
const brandings = new WeakMap<Issuer, PageBranding>();

/**
 * The branding of a page under an issuer, the one place it is decided: display name, logo,
 * stylesheet and the logo's origin for the CSP. Outside an issuer, none.
 */
export function pageBranding(issuer: Issuer | undefined): PageBranding {
  if (!issuer) return NO_BRANDING;
  let branding = brandings.get(issuer);
  if (!branding) {
    branding = brandingOf(issuer.issuerPath, brandOfEnvironment(issuer.environment), resolveSettings(issuer.environment.settings));
    brandings.set(issuer, branding);
  }
  return branding;
}
