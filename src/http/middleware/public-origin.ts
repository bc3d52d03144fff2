import type { Middleware } from 'koa';

/**
 * Every link sump makes is built from PUBLIC_URL, never from the request's Host or
 * X-Forwarded-* headers: the request's host and protocol are pinned to PUBLIC_URL's before
 * anything (oidc-provider included) reads them. Cookies are Secure whenever PUBLIC_URL is https.
 */
export function koaPublicOrigin(publicUrl: string): Middleware {
  const url = new URL(publicUrl);
  const host = url.host;
  const protocol = url.protocol.replace(/:$/, '');
  return async function publicOrigin(ctx, next) {
    Object.defineProperty(ctx.request, 'host', { value: host, configurable: true });
    Object.defineProperty(ctx.request, 'hostname', { value: url.hostname, configurable: true });
    Object.defineProperty(ctx.request, 'protocol', { value: protocol, configurable: true });
    await next();
  };
}
