import type { Context } from 'koa';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { resolveSettings } from '../../services/environment-settings.js';

/** The issuer a request under /oidc/:environmentId is for, set by the oidc router. */
export function issuerOf(ctx: Context): Issuer | undefined {
  return (ctx.state as { issuer?: Issuer }).issuer;
}

/** What every page of an environment shows of its branding. */
export function brandOf(issuer: Issuer | undefined): string | undefined {
  if (!issuer) return undefined;
  return resolveSettings(issuer.environment.settings).branding.displayName ?? issuer.environment.name;
}
