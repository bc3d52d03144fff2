import type { ClientSettings, GrantType, TokenEndpointAuthMethod } from '../db/queries/clients.js';
import type { FieldError } from '../errors/app-error.js';
import { isLoopbackHost, PROVIDER_LOOPBACKS } from './url-rules.js';

export const DEFAULT_CLIENT_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'] as const;
export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
/** The device authorization grant (RFC 8628), for input-constrained devices. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code' satisfies GrantType;
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);
/** Members of a JWK that only a private key has: a client registers public keys only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

function hasSpaceOrControl(value: string): boolean {
  return /\s/.test(value) || [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}

export type ClientInput = { readonly name: string } & {
  readonly [K in Exclude<keyof ClientSettings, 'name' | 'jwks' | 'jwksUri' | 'backchannelLogoutUri'>]?:
    | ClientSettings[K]
    | undefined;
} & {
  readonly jwks?: { keys: Record<string, unknown>[] } | undefined;
  readonly jwksUri?: string | undefined;
  readonly backchannelLogoutUri?: string | undefined;
};

/** DESIGN.md's defaults: a confidential web client, code + refresh, PKCE, RS256. */
export function withClientDefaults(input: ClientInput): ClientSettings {
  return {
    name: input.name,
    redirectUris: input.redirectUris ?? [],
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
    grantTypes: input.grantTypes ?? DEFAULT_GRANT_TYPES,
    tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? 'client_secret_basic',
    applicationType: input.applicationType ?? 'web',
    scopes: input.scopes ?? DEFAULT_CLIENT_SCOPES,
    firstParty: input.firstParty ?? false,
    requirePkce: input.requirePkce ?? true,
    jwks: input.jwks ?? null,
    jwksUri: input.jwksUri ?? null,
    backchannelLogoutUri: input.backchannelLogoutUri ?? null,
    allowedCorsOrigins: input.allowedCorsOrigins ?? [],
    idTokenSignedResponseAlg: input.idTokenSignedResponseAlg ?? 'RS256',
    allowedResources: input.allowedResources ?? [],
  };
}

/** Confidential clients that authenticate with a shared secret; the others have none. */
export function usesClientSecret(method: TokenEndpointAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/**
 * For an http(s) URI not written as URL parsing writes it (an upper-case scheme or host, a
 * percent-encoded or non-punycode host, the default port spelt out, `.` or `..` segments in the
 * path): its normal spelling. Redirect URIs are compared as exact strings, and what a browser
 * is sent to is the normal form, so such a URI would fail every sign-in or name another path.
 */
function notInNormalForm(uri: string, url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const written = /^([^:]+:\/\/[^/?#]*)([^?#]*)/.exec(uri);
  if (!written) return undefined;
  const [, authority, path = ''] = written;
  const normalAuthority = `${url.protocol}//${url.host}`;
  if (authority === normalAuthority && (path === url.pathname || (path === '' && url.pathname === '/'))) return undefined;
  return `${normalAuthority}${url.pathname}${url.search}`;
}

/**
 * Why a redirect (or post-logout redirect) URI is refused, or undefined. Exact strings: absolute,
 * no fragment, no userinfo, no wildcard. Web clients: http(s), plain http only on loopback.
 * Native clients: custom schemes, https, or http on loopback (as oidc-provider accepts them).
 */
export function redirectUriProblem(uri: string, applicationType: 'web' | 'native'): string | undefined {
  if (hasSpaceOrControl(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('*')) return 'must not contain a wildcard';
  if (uri.includes('#')) return 'must not contain a fragment';
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URI';
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i.test(uri)) return 'must not contain user information';
  const written = notInNormalForm(uri, url);
  if (written) return `must be written as a client library sends it: ${written}`;
  if (applicationType === 'web') {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URI for a web client';
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'may use http only on a loopback host';
    return undefined;
  }
  if (url.protocol === 'http:') {
    if (!PROVIDER_LOOPBACKS.has(url.hostname)) return 'may use http only on localhost, 127.0.0.1 or [::1]';
    return url.port === '0' ? 'must not use port 0 (give the port, or none: any port is accepted on loopback)' : undefined;
  }
  if (url.protocol === 'https:') {
    return PROVIDER_LOOPBACKS.has(url.hostname) ? 'must not use https on a loopback host' : undefined;
  }
  return FORBIDDEN_SCHEMES.has(url.protocol) ? `must not use the ${url.protocol.slice(0, -1)} scheme` : undefined;
}

function originProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'must be an http(s) origin';
  return url.origin === value ? undefined : 'must be an origin only (scheme://host[:port])';
}

/** The rules between fields; each failure names its field. */
export function clientRuleProblems(client: ClientSettings): FieldError[] {
  const problems: FieldError[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const method = client.tokenEndpointAuthMethod;
  const grants = new Set(client.grantTypes);

  client.redirectUris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri, client.applicationType);
    if (problem) add(`redirectUris[${index}]`, problem);
  });
  client.postLogoutRedirectUris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri, client.applicationType);
    if (problem) add(`postLogoutRedirectUris[${index}]`, problem);
  });
  client.allowedCorsOrigins.forEach((origin, index) => {
    const problem = originProblem(origin);
    if (problem) add(`allowedCorsOrigins[${index}]`, problem);
  });
  if (grants.has('authorization_code') && client.redirectUris.length === 0) {
    add('redirectUris', 'must have at least one URI for the authorization_code grant');
  }
  // A refresh token comes with a user's grant: the code flow's or the device flow's (RFC 8628).
  // A device client needs no redirect URI, and may be public (`none`) or confidential.
  if (grants.has('refresh_token') && !grants.has('authorization_code') && !grants.has(DEVICE_CODE_GRANT)) {
    add('grantTypes', 'refresh_token needs the authorization_code or the device_code grant');
  }
  if (method === 'none') {
    if (grants.has('client_credentials')) add('grantTypes', 'a public client (none) cannot use client_credentials');
    if (!client.requirePkce) add('requirePkce', 'a public client always uses PKCE');
  }
  if (method === 'private_key_jwt') {
    if (!client.jwks && !client.jwksUri) add('jwks', 'private_key_jwt needs jwks or jwksUri');
    if (client.jwks && client.jwksUri) add('jwksUri', 'give jwks or jwksUri, not both');
  } else {
    if (client.jwks) add('jwks', 'only a private_key_jwt client registers keys');
    if (client.jwksUri) add('jwksUri', 'only a private_key_jwt client registers keys');
  }
  client.jwks?.keys.forEach((key, index) => {
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) add(`jwks.keys[${index}]`, 'must be a public key');
  });
  return problems;
}
