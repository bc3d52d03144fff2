import type { Middleware } from 'koa';
import type { AppState } from './context.js';

/**
 * Path-inserted metadata locations (RFC 8414 §3.1): the well-known suffix goes between the host
 * and the issuer's path. `oauth-authorization-server` is RFC 8414's own; `openid-configuration`
 * in the same place is what some OAuth libraries try for an OpenID issuer (RFC 8414 §5).
 */
const INSERTED_METADATA = /^\/\.well-known\/(?:oauth-authorization-server|openid-configuration)(\/oidc\/[^/]+)$/;

/**
 * Answers `/.well-known/oauth-authorization-server/oidc/:envId` (and the `openid-configuration`
 * twin) with the issuer's own discovery document: the request continues as if it were for
 * `/oidc/:envId/.well-known/openid-configuration`, so the document, its CORS (every origin),
 * its cache headers and its 404 for an unknown environment are the issuer's, never a copy.
 * Mount it before the OIDC router.
 */
export function koaInsertedMetadata(): Middleware<AppState> {
  return async function insertedMetadata(ctx, next) {
    const match = INSERTED_METADATA.exec(ctx.path);
    if (!match || !['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) return next();
    const original = ctx.path;
    ctx.path = `${match[1]}/.well-known/openid-configuration`;
    try {
      await next();
    } finally {
      ctx.path = original;
    }
  };
}
