import { expect } from '@jest/globals';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { createClient, createTenant, DEFAULT_REDIRECT_URI, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { findElement, type HttpBrowser, type PageResponse } from '../helpers/http-browser.js';
import { discoverClient, issuerOf } from '../helpers/oidc.js';
import type { TestServer } from '../helpers/test-server.js';
import { newEnvironment, type ConformanceUser } from './support.js';

/**
 * What the Basic OP modules of helper "basic-2" share (tests/conformance/basic-requests.test.ts,
 * basic-tokens.test.ts): an environment with a user and a client, an authorization request
 * driven through the hosted login and consent pages, and raw token-endpoint calls for the
 * answers the suite inspects byte by byte (status, content type, cache headers, error fields).
 */

export interface Rp {
  readonly environmentId: string;
  readonly issuer: string;
  readonly client: TestClient;
  readonly config: oidc.Configuration;
  readonly metadata: oidc.ServerMetadata;
}

/** A fresh environment of the tenant with its user (every standard claim), as support.ts's newEnvironment makes them. */
export async function environmentWithUser(
  server: TestServer,
  tenant: TestTenant,
): Promise<{ environmentId: string; user: ConformanceUser }> {
  const environment = await newEnvironment({ server, tenant, close: () => server.close() });
  return { environmentId: environment.environmentId, user: environment.user };
}

/**
 * A client of the environment and its discovered configuration, registered as the suite's
 * tester would (support.ts's registerClient): confidential, client_secret_basic, and, since the
 * Basic plan's requests carry no PKCE, `requirePkce: false` unless `body` says otherwise (a
 * public client always needs PKCE).
 */
export async function relyingParty(
  server: TestServer,
  tenant: TestTenant,
  environmentId: string,
  body: Record<string, unknown> = {},
): Promise<Rp> {
  const registration = { ...(body.tokenEndpointAuthMethod === 'none' ? {} : { requirePkce: false }), ...body };
  const client = await createClient(server, tenant, registration, environmentId);
  const config = await discoverClient(server, environmentId, client);
  return { environmentId, issuer: issuerOf(server, environmentId), client, config, metadata: config.serverMetadata() };
}

export { createTenant };

export interface Authorization {
  /** The parameters sent (state, nonce, code_challenge… and whatever the test added). */
  readonly params: Record<string, string>;
  /** Set when PKCE was sent. */
  readonly verifier: string | undefined;
}

/**
 * The suite's authorization request (code, scope=openid, fresh state and nonce), with PKCE S256
 * when `pkce` (default: for a public client only, as the suite); `extra` adds or replaces.
 */
export async function authorizationParams(
  rp: Rp,
  extra: Record<string, string> = {},
  options: { pkce?: boolean } = {},
): Promise<Authorization> {
  const pkce = options.pkce ?? rp.client.tokenEndpointAuthMethod === 'none';
  const verifier = pkce ? oidc.randomPKCECodeVerifier() : undefined;
  return {
    verifier,
    params: {
      client_id: rp.client.clientId,
      response_type: 'code',
      redirect_uri: DEFAULT_REDIRECT_URI,
      scope: 'openid',
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      ...(verifier ? { code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
      ...extra,
    },
  };
}

export const authorizationUrl = (rp: Rp, params: Record<string, string>): string =>
  `${rp.metadata.authorization_endpoint}?${new URLSearchParams(params).toString()}`;

/**
 * Goes through whatever the authorization request shows: the login page (signs `user` in), the
 * consent page (allows); answers the last page, or the redirect to the app with its URL.
 */
export async function completeInteraction(
  browser: HttpBrowser,
  first: PageResponse,
  user: Pick<TestUser, 'email' | 'password'>,
): Promise<PageResponse> {
  let page = first;
  for (let step = 0; step < 3 && page.status === 200; step += 1) {
    if (findElement(page, 'input[name=password]')) {
      page = await browser.submit(page, { identifier: user.email, password: user.password });
    } else if (findElement(page, 'button[name=decision][value=allow]')) {
      page = await browser.submit(page, {}, { button: { name: 'decision', value: 'allow' } });
    } else {
      break;
    }
  }
  return page;
}

/** The authorization request by GET through the hosted pages; the callback's query parameters. */
export async function signIn(
  browser: HttpBrowser,
  rp: Rp,
  user: Pick<TestUser, 'email' | 'password'>,
  params: Record<string, string>,
): Promise<URL> {
  const last = await completeInteraction(browser, await browser.follow(authorizationUrl(rp, params)), user);
  return callbackOf(last);
}

/** The URL the browser was sent to at the app (throws with the page when it was not sent there). */
export function callbackOf(page: PageResponse): URL {
  if (!page.url.startsWith(`${DEFAULT_REDIRECT_URI}`)) {
    throw new Error(`expected a redirect to the app, got ${page.status} at ${page.url}:\n${page.body.slice(0, 400)}`);
  }
  return new URL(page.url);
}

/**
 * What the suite checks of every successful authorization response (AbstractOIDCCServerTest):
 * no error, the state sent back, the issuer (RFC 9207) when present, a code.
 */
export function expectCodeResponse(rp: Rp, callback: URL, sent: Record<string, string>): string {
  expect(callback.searchParams.get('error')).toBeNull();
  expect(callback.searchParams.get('state')).toBe(sent.state);
  const iss = callback.searchParams.get('iss');
  if (iss !== null) expect(iss).toBe(rp.issuer);
  const code = callback.searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code as string;
}

export interface TokenAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** A raw token-endpoint call, authenticating as the client by `client_secret_basic` or `client_secret_post`. */
export async function tokenCall(
  rp: Rp,
  form: Record<string, string>,
  auth: 'client_secret_basic' | 'client_secret_post' | 'none' = 'client_secret_basic',
): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = new URLSearchParams(form);
  const { clientId, clientSecret } = rp.client;
  if (auth === 'client_secret_basic') {
    const encode = (value: string) => encodeURIComponent(value);
    headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret ?? '')}`).toString('base64')}`;
  } else {
    body.set('client_id', clientId);
    if (auth === 'client_secret_post') body.set('client_secret', clientSecret ?? '');
  }
  const response = await fetch(rp.metadata.token_endpoint as string, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** The code grant of an authorization, raw. */
export const redeemCode = (
  rp: Rp,
  code: string,
  authorization: Authorization,
  auth?: 'client_secret_basic' | 'client_secret_post' | 'none',
) =>
  tokenCall(
    rp,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: authorization.params.redirect_uri ?? DEFAULT_REDIRECT_URI,
      ...(authorization.verifier ? { code_verifier: authorization.verifier } : {}),
    },
    auth,
  );

/** RFC 6749 §5.2's characters for error_description (the suite's check); tab, CR and LF only warn there. */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

/** A token-endpoint error answer as the suite checks it: 400, JSON, the error code, a well-formed description. */
export function expectTokenError(answer: TokenAnswer, error: string, status = 400): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body.error).toBe(error);
  if (answer.body.error_description !== undefined) expect(answer.body.error_description).toMatch(ERROR_DESCRIPTION);
  if (answer.body.error_uri !== undefined) expect(() => new URL(String(answer.body.error_uri))).not.toThrow();
}

/** A successful token answer as RFC 6749 §5.1 and the suite check it: 200, JSON, no-store, a Bearer token. */
export function expectTokenSuccess(answer: TokenAnswer): void {
  if (answer.status !== 200) throw new Error(`token endpoint: ${answer.status} ${JSON.stringify(answer.body)}`);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.headers.get('cache-control')?.split(',').map((part) => part.trim())).toContain('no-store');
  expect(answer.body.token_type).toMatch(/^bearer$/i);
  expect(answer.body.access_token).toMatch(/^[\x20-\x7E]+$/);
  if (answer.body.refresh_token !== undefined) expect(answer.body.refresh_token).toMatch(/^[\x20-\x7E]{22,}$/);
}

/**
 * The ID token of a token answer, its signature checked against the issuer's JWKS, and the
 * standard checks (PerformStandardIdTokenChecks): iss, aud, azp when present, exp after iat,
 * the nonce sent.
 */
export async function verifiedIdToken(rp: Rp, idToken: unknown, nonce?: string): Promise<jose.JWTPayload> {
  expect(idToken).toEqual(expect.any(String));
  const jwks = jose.createRemoteJWKSet(new URL(rp.metadata.jwks_uri as string));
  const { payload, protectedHeader } = await jose.jwtVerify(String(idToken), jwks, {
    issuer: rp.issuer,
    audience: rp.client.clientId,
  });
  expect(protectedHeader.kid).toEqual(expect.any(String));
  expect(payload.sub).toEqual(expect.any(String));
  expect(payload.exp).toBeGreaterThan(payload.iat as number);
  if (payload.azp !== undefined) expect(payload.azp).toBe(rp.client.clientId);
  if (nonce !== undefined) expect(payload.nonce).toBe(nonce);
  return payload;
}

/** GET userinfo with the access token: its status and, when 200, its claims. */
export async function userinfo(rp: Rp, accessToken: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(rp.metadata.userinfo_endpoint as string, {
    headers: { authorization: `Bearer ${String(accessToken)}` },
  });
  const text = await response.text();
  return { status: response.status, body: response.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Introspection of a token by its own client (client_secret_basic): is it active? */
export async function introspect(rp: Rp, token: unknown, hint?: 'access_token' | 'refresh_token'): Promise<boolean> {
  const basic = Buffer.from(`${rp.client.clientId}:${rp.client.clientSecret ?? ''}`).toString('base64');
  const response = await fetch(rp.metadata.introspection_endpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ token: String(token), ...(hint ? { token_type_hint: hint } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

/** An unsigned request object (alg "none"), as the suite's SerializeRequestObjectWithNullAlgorithm makes it. */
export function unsignedRequestObject(claims: Record<string, unknown>): string {
  return new jose.UnsecuredJWT(claims).encode();
}
