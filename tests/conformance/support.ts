import { expect, jest } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { createEnvironment, createTenant, DEFAULT_PASSWORD, DEFAULT_REDIRECT_URI, unique, type TestClient, type TestTenant } from '../helpers/fixtures.js';
import { findElement, HttpBrowser, pageText, type PageResponse } from '../helpers/http-browser.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The conformance driver: what the OpenID Foundation suite sets up before a module runs (an OP
 * with a registered client and a user who has every standard claim), and the steps a module
 * takes (an authorization request, the hosted login and consent pages as the suite's tester
 * would click through them, the token and userinfo calls), done over real HTTP. The modules'
 * own assertions live in the test files; this file only drives.
 *
 * Like the suite, the requests are built by hand (so a test can leave out or reorder any
 * parameter) and the token endpoint is called directly (so a test sees the HTTP answer itself).
 * openid-client's configuration is there too, for tests that want a real client library.
 */

export const REDIRECT_URI = DEFAULT_REDIRECT_URI;
export const POST_LOGOUT_REDIRECT_URI = 'http://localhost:7777/signed-out';
export const PASSWORD = DEFAULT_PASSWORD;

/** A server and one tenant: one per test file. */
export interface Conformance {
  readonly server: TestServer;
  readonly tenant: TestTenant;
  close(): Promise<void>;
}

export async function startConformance(): Promise<Conformance> {
  const server = await startTestServer();
  try {
    const tenant = await createTenant(server);
    return { server, tenant, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** What the suite's user has: every claim of the profile, email, phone and address scopes. */
export interface ConformanceUser {
  readonly accountId: string;
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
  readonly phone: string;
  readonly picture: string;
  readonly address: Readonly<Record<string, string>>;
}

/** An environment (one OIDC issuer) with its user: one per test group. */
export interface ConformanceEnvironment {
  readonly conformance: Conformance;
  readonly environmentId: string;
  readonly issuer: string;
  /** The discovery document, as fetched from the issuer. */
  readonly metadata: Record<string, unknown> & {
    issuer: string;
    authorization_endpoint: string;
    token_endpoint: string;
    userinfo_endpoint: string;
    jwks_uri: string;
  };
  readonly user: ConformanceUser;
}

/** POST through the admin API as the tenant's owner; throws with the body unless it answers `status`. */
async function adminPost(conformance: Conformance, path: string, body: unknown, status = 201) {
  const response = await request(conformance.server.url).post(`/api/v1${path}`).set('Cookie', conformance.tenant.cookie).send(body as object);
  if (response.status !== status) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Record<string, unknown>;
}

/**
 * A fresh environment of the tenant, with `settings` (merged by the API) and a user with every
 * standard claim, created by the owner with a verified email. The sign-in limits stay sump's
 * defaults: a plan signs one user in dozens of times, and only failed sign-ins count.
 */
export async function newEnvironment(conformance: Conformance, settings: Record<string, unknown> = {}): Promise<ConformanceEnvironment> {
  const { server, tenant } = conformance;
  const environment = await createEnvironment(server, tenant);
  if (Object.keys(settings).length > 0) {
    const patched = await request(server.url)
      .patch(`/api/v1/tenants/${tenant.tenantId}/environments/${environment.id}`)
      .set('Cookie', tenant.cookie)
      .send({ settings });
    if (patched.status !== 200) throw new Error(`settings: ${patched.status} ${JSON.stringify(patched.body)}`);
  }
  const id = unique();
  const user = {
    name: 'Grace Hopper',
    email: `grace-${id}@example.com`,
    username: `grace_${id}`,
    password: PASSWORD,
    phone: '+14155550123',
    picture: 'https://example.com/grace.png',
    address: {
      formatted: '1 Navy Yard\nArlington, VA 22202\nUSA',
      street_address: '1 Navy Yard',
      locality: 'Arlington',
      region: 'VA',
      postal_code: '22202',
      country: 'USA',
    },
  };
  const account = await adminPost(conformance, `/environments/${environment.id}/accounts`, {
    name: user.name,
    email: user.email,
    username: user.username,
    password: user.password,
    phone: user.phone,
    avatarUrl: user.picture,
    address: user.address,
    emailVerified: true,
  });
  const issuer = issuerOf(server, environment.id);
  const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (discovery.status !== 200) throw new Error(`discovery: ${discovery.status}`);
  return {
    conformance,
    environmentId: environment.id,
    issuer,
    metadata: (await discovery.json()) as ConformanceEnvironment['metadata'],
    user: { ...user, accountId: account.id as string },
  };
}

export type ClientKind = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ConformanceClient extends TestClient {
  readonly kind: ClientKind;
  readonly environment: ConformanceEnvironment;
  /** private_key_jwt only: the key the client signs its assertions with. */
  readonly privateKey?: CryptoKey;
  /** openid-client's configuration for this client (ID token signatures checked). */
  readonly config: oidc.Configuration;
}

/**
 * Registers a client of one kind, as the suite's tester would for a certification run: the
 * Basic plan's requests carry no PKCE (except oidcc-ensure-valid-pkce-succeeds), so confidential
 * clients are registered with `requirePkce: false`; a public client always needs PKCE.
 * `body` overrides any field of the registration.
 */
export async function registerClient(
  environment: ConformanceEnvironment,
  kind: ClientKind = 'client_secret_basic',
  body: Record<string, unknown> = {},
): Promise<ConformanceClient> {
  let privateKey: CryptoKey | undefined;
  const extra: Record<string, unknown> = {};
  if (kind === 'private_key_jwt') {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: `key-${unique()}`, alg: 'ES256', use: 'sig' };
    extra.jwks = { keys: [publicJwk] };
  }
  const created = (await adminPost(environment.conformance, `/environments/${environment.environmentId}/clients`, {
    name: `Conformance ${kind}`,
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_REDIRECT_URI],
    tokenEndpointAuthMethod: kind,
    ...(kind === 'none' ? {} : { requirePkce: false }),
    ...extra,
    ...body,
  })) as TestClient;
  const clientAuth =
    kind === 'client_secret_basic'
      ? oidc.ClientSecretBasic(created.clientSecret as string)
      : kind === 'client_secret_post'
        ? oidc.ClientSecretPost(created.clientSecret as string)
        : kind === 'private_key_jwt'
          ? oidc.PrivateKeyJwt(privateKey as CryptoKey)
          : oidc.None();
  const config = await oidc.discovery(new URL(environment.issuer), created.clientId, undefined, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
  oidc.enableNonRepudiationChecks(config);
  return { ...created, kind, environment, config, ...(privateKey ? { privateKey } : {}) };
}

/** A cookie-carrying browser that stops at the app's redirect URIs (nothing listens there). */
export const newConformanceBrowser = () => new HttpBrowser((url) => url.startsWith('http://localhost:7777/'));

export interface AuthorizationRequest {
  /** The URL the browser is sent to. */
  readonly url: URL;
  /** The parameters as sent, in order (a parameter given `undefined` is left out). */
  readonly params: ReadonlyMap<string, string>;
  readonly state: string | undefined;
  readonly nonce: string | undefined;
  /** Set when PKCE was sent. */
  readonly verifier: string | undefined;
}

export interface RequestOptions {
  /** Added to the request or replacing its defaults; `undefined` leaves that parameter out. */
  readonly params?: Record<string, string | undefined>;
  /** Send PKCE S256 (default: only for a public client, which must). */
  readonly pkce?: boolean;
  /** The order the parameters go in (names first in this list, the rest after); default alphabetical, as the suite's. */
  readonly order?: readonly string[];
}

/**
 * The suite's authorization request (CreateAuthorizationEndpointRequestFromClientInformation):
 * client_id, redirect_uri, scope=openid, a random state and nonce, response_type=code.
 */
export async function authorizationRequest(client: ConformanceClient, options: RequestOptions = {}): Promise<AuthorizationRequest> {
  const pkce = options.pkce ?? client.kind === 'none';
  const verifier = pkce ? oidc.randomPKCECodeVerifier() : undefined;
  const all: Record<string, string | undefined> = {
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    response_type: 'code',
    ...(verifier ? { code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
    ...options.params,
  };
  // The suite's BuildPlainRedirectToAuthorizationEndpoint sends the parameters alphabetically.
  const names = Object.keys(all)
    .filter((name) => all[name] !== undefined)
    .sort();
  if (options.order) {
    const rank = (name: string) => {
      const at = options.order!.indexOf(name);
      return at === -1 ? options.order!.length : at;
    };
    names.sort((a, b) => rank(a) - rank(b));
  }
  const params = new Map(names.map((name) => [name, all[name] as string]));
  const url = new URL(client.environment.metadata.authorization_endpoint);
  for (const [name, value] of params) url.searchParams.append(name, value);
  return { url, params, state: params.get('state'), nonce: params.get('nonce'), verifier };
}

export type Step = 'login' | 'consent';

export interface SignInOptions extends RequestOptions {
  /** The browser to use (its cookies are the OP session); default a new one. */
  readonly browser?: HttpBrowser;
  /** Who signs in at the login page (default the environment's user). */
  readonly identifier?: string;
  readonly password?: string;
  /** What the user answers on the consent page (default allow). */
  readonly consent?: 'allow' | 'deny';
}

export interface SignInResult {
  readonly browser: HttpBrowser;
  readonly request: AuthorizationRequest;
  /** The pages the user was shown on the way, in order. */
  readonly steps: readonly Step[];
  /** The login page, when one was shown (the last one). */
  readonly loginPage: PageResponse | undefined;
  /** Where the OP sent the browser back to the app. */
  readonly callback: URL;
  /** The callback's query parameters (the code flow answers in the query). */
  readonly answer: URLSearchParams;
}

/** Thrown when the browser ends on a page of the OP instead of going back to the app. */
export class StoppedAtPage extends Error {
  constructor(readonly page: PageResponse) {
    super(`stopped at ${page.status} ${page.url}: ${pageText(page).slice(0, 300)}`);
  }
}

/**
 * Runs an authorization request in the browser through the hosted pages: it signs in on the
 * login page and answers the consent page whenever they are shown, until the OP redirects back
 * to the app. An OP page that is neither (an error page) throws StoppedAtPage.
 */
export async function signIn(client: ConformanceClient, options: SignInOptions = {}): Promise<SignInResult> {
  const browser = options.browser ?? newConformanceBrowser();
  const authorization = await authorizationRequest(client, options);
  const steps: Step[] = [];
  let loginPage: PageResponse | undefined;
  let page = await browser.follow(authorization.url.href);
  for (let round = 0; round < 6; round += 1) {
    if (page.url.startsWith('http://localhost:7777/')) {
      const callback = new URL(page.url);
      return { browser, request: authorization, steps, loginPage, callback, answer: callback.searchParams };
    }
    if (page.status === 200 && findElement(page, 'input[name=identifier]')) {
      steps.push('login');
      loginPage = page;
      page = await browser.submit(page, {
        identifier: options.identifier ?? client.environment.user.email,
        password: options.password ?? client.environment.user.password,
      });
    } else if (page.status === 200 && findElement(page, 'button[name=decision]')) {
      steps.push('consent');
      page = await browser.submit(page, {}, { button: { name: 'decision', value: options.consent ?? 'allow' } });
    } else {
      throw new StoppedAtPage(page);
    }
  }
  throw new Error('the sign-in did not end in a redirect to the app');
}

/** Sends the browser to the authorization URL once, without signing in (prompt=none, errors). */
export async function authorize(client: ConformanceClient, options: SignInOptions = {}) {
  const browser = options.browser ?? newConformanceBrowser();
  const authorization = await authorizationRequest(client, options);
  const page = await browser.follow(authorization.url.href);
  const callback = page.url.startsWith('http://localhost:7777/') ? new URL(page.url) : undefined;
  return { browser, request: authorization, page, callback, answer: callback?.searchParams };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** The client's authentication at the token endpoint, as its kind sends it. */
async function clientAuthentication(client: ConformanceClient, form: URLSearchParams, headers: Record<string, string>) {
  const { environment } = client;
  switch (client.kind) {
    case 'client_secret_basic': {
      const encode = (value: string) => encodeURIComponent(value);
      headers.authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret as string)}`).toString('base64')}`;
      break;
    }
    case 'client_secret_post':
      form.set('client_id', client.clientId);
      form.set('client_secret', client.clientSecret as string);
      break;
    case 'private_key_jwt': {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience(environment.metadata.token_endpoint)
        .setJti(unique())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(client.privateKey as CryptoKey);
      form.set('client_id', client.clientId);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', assertion);
      break;
    }
    case 'none':
      form.set('client_id', client.clientId);
      break;
  }
}

/** POST to the token endpoint with the client's own authentication; answers what came back. */
export async function tokenRequest(client: ConformanceClient, fields: Record<string, string>): Promise<HttpAnswer> {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  await clientAuthentication(client, form, headers);
  return answerOf(await fetch(client.environment.metadata.token_endpoint, { method: 'POST', headers, body: form.toString() }));
}

/** The authorization_code grant for the code of a sign-in (and its PKCE verifier, if any). */
export function redeemCode(client: ConformanceClient, signedIn: Pick<SignInResult, 'answer' | 'request'>): Promise<HttpAnswer> {
  const code = signedIn.answer.get('code');
  if (!code) throw new Error(`no code in the callback: ${signedIn.answer.toString()}`);
  return tokenRequest(client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    ...(signedIn.request.verifier ? { code_verifier: signedIn.request.verifier } : {}),
  });
}

export interface Tokens {
  readonly access_token: string;
  readonly token_type: string;
  readonly id_token: string;
  readonly expires_in?: number;
  readonly refresh_token?: string;
  readonly scope?: string;
}

export interface IdToken {
  readonly header: { alg: string; kid?: string; typ?: string };
  readonly claims: JWTPayload & Record<string, unknown>;
}

/** The issuer's published keys. */
export async function serverJwks(environment: ConformanceEnvironment): Promise<{ keys: JWK[] }> {
  const response = await fetch(environment.metadata.jwks_uri);
  if (response.status !== 200) throw new Error(`jwks: ${response.status}`);
  return (await response.json()) as { keys: JWK[] };
}

/**
 * Checks an ID token's signature against the issuer's JWKS (the key its `kid` names) and what
 * the suite's ValidateIdToken, ValidateIdTokenNonce and CheckForSubjectInIdToken check: iss,
 * aud (this client), exp, iat (within 5 minutes), auth_time (if present: not in the future,
 * not over a year old), acr (if present: not empty), sub, and the nonce (the request's, or
 * none when none was sent). Answers the header and claims.
 */
export async function verifyIdToken(
  client: ConformanceClient,
  idToken: string,
  expected: { nonce: string | undefined },
): Promise<IdToken> {
  const { environment } = client;
  const header = decodeProtectedHeader(idToken) as IdToken['header'];
  const jwks = await serverJwks(environment);
  expect(header.kid).toEqual(expect.any(String));
  expect(jwks.keys.filter((key) => key.kid === header.kid)).toHaveLength(1);
  const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
    issuer: environment.issuer,
    audience: client.clientId,
    algorithms: [header.alg],
  });
  const claims = payload as IdToken['claims'];
  const now = Math.floor(Date.now() / 1000);
  const skew = 5 * 60;
  expect(typeof claims.sub === 'string' && claims.sub.length > 0).toBe(true);
  expect(claims.exp).toEqual(expect.any(Number));
  expect(claims.exp as number).toBeGreaterThan(now - skew);
  expect(claims.exp as number).toBeLessThan(now + 50 * 365 * 24 * 3600);
  expect(claims.iat).toEqual(expect.any(Number));
  expect(Math.abs((claims.iat as number) - now)).toBeLessThanOrEqual(skew);
  if (claims.auth_time !== undefined) {
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(claims.auth_time as number).toBeLessThanOrEqual(now + skew);
    expect(claims.auth_time as number).toBeGreaterThan(now - 365 * 24 * 3600);
  }
  if (claims.acr !== undefined) expect(claims.acr).not.toBe('');
  if (expected.nonce === undefined) expect(claims.nonce).toBeUndefined();
  else expect(claims.nonce).toBe(expected.nonce);
  return { header, claims };
}

export interface SignedIn extends SignInResult {
  readonly tokens: Tokens;
  readonly idToken: IdToken;
  /** The token endpoint's whole answer. */
  readonly tokenAnswer: HttpAnswer;
}

/**
 * A whole happy flow: signIn, then the code at the token endpoint (which must answer 200 with
 * a Bearer access token and an ID token), then the ID token's standard checks.
 */
export async function signInAndRedeem(client: ConformanceClient, options: SignInOptions = {}): Promise<SignedIn> {
  const signedIn = await signIn(client, options);
  expect(signedIn.answer.get('error')).toBeNull();
  expect(signedIn.answer.get('state')).toBe(signedIn.request.state ?? null);
  const tokenAnswer = await redeemCode(client, signedIn);
  if (tokenAnswer.status !== 200) throw new Error(`token endpoint: ${tokenAnswer.status} ${JSON.stringify(tokenAnswer.body)}`);
  const tokens = tokenAnswer.body as unknown as Tokens;
  expect(tokens.access_token).toEqual(expect.any(String));
  expect(tokens.token_type.toLowerCase()).toBe('bearer');
  expect(tokens.id_token).toEqual(expect.any(String));
  const idToken = await verifyIdToken(client, tokens.id_token, { nonce: signedIn.request.nonce });
  return { ...signedIn, tokens, idToken, tokenAnswer };
}

export type UserinfoStyle = 'get' | 'post-header' | 'post-body';

/** Calls the userinfo endpoint the way a module does: GET or POST, token in the header or the body. */
export async function userinfo(environment: ConformanceEnvironment, accessToken: string, style: UserinfoStyle = 'get'): Promise<HttpAnswer> {
  const url = environment.metadata.userinfo_endpoint;
  if (style === 'get') return answerOf(await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } }));
  if (style === 'post-header') {
    return answerOf(await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } }));
  }
  return answerOf(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: accessToken }).toString(),
    }),
  );
}

const realNow = Date.now.bind(Date);
let clockOffsetMs = 0;

/**
 * Moves this process's clock (Date.now, which oidc-provider and sump read) `seconds` further
 * ahead, for "a while later" without sleeping: the server runs in the test's process.
 * restoreClock() puts it back.
 */
export function advanceClock(seconds: number): void {
  clockOffsetMs += seconds * 1000;
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + clockOffsetMs);
}

export function restoreClock(): void {
  clockOffsetMs = 0;
  if (jest.isMockFunction(Date.now)) (Date.now as jest.Mock).mockRestore();
}

/** RFC 6749 4.1.2.1's characters for error_description (%x09-0A / %x0D / %x20-21 / %x23-5B / %x5D-7E). */
export function isErrorDescriptionText(text: string): boolean {
  return [...text].every((char) => {
    const code = char.charCodeAt(0);
    return [0x09, 0x0a, 0x0d].includes(code) || (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c);
  });
}

/**
 * The suite's performGenericAuthorizationEndpointErrorResponseValidation on an error sent back
 * to the app: the state as sent, iss (if present) the issuer's, an error and no code, no other
 * parameters, and error_description in RFC 6749's characters. Answers the error code.
 */
export function expectAuthorizationError(
  environment: ConformanceEnvironment,
  answer: URLSearchParams | undefined,
  sentState: string | undefined,
): string {
  expect(answer).toBeDefined();
  const params = answer as URLSearchParams;
  expect(params.get('state')).toBe(sentState ?? null);
  const iss = params.get('iss');
  if (iss !== null) expect(iss).toBe(environment.issuer);
  expect(params.get('error')).toEqual(expect.any(String));
  expect(params.get('code')).toBeNull();
  const expected = ['error', 'error_description', 'error_uri', 'state', 'session_state', 'iss'];
  expect([...params.keys()].filter((key) => !expected.includes(key))).toEqual([]);
  const description = params.get('error_description');
  if (description !== null) expect([description, isErrorDescriptionText(description)]).toEqual([description, true]);
  const uri = params.get('error_uri');
  if (uri !== null) expect(() => new URL(uri)).not.toThrow();
  return params.get('error') as string;
}
