import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DEFAULT_REDIRECT_URI } from '../helpers/fixtures.js';
import { HttpBrowser, findElement, pageText, type PageResponse } from '../helpers/http-browser.js';
import { authorizationRequest } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Issue 2's acceptance, as a user does it: a tenant, a confidential client and a user made
 * through the API, then a real OIDC client library (openid-client 6) signs the user in through
 * the hosted pages, refreshes, logs out — and nothing crosses between environments.
 */

const POST_LOGOUT_URI = 'http://localhost:7777/signed-out';
const PASSWORD = 'correct horse battery staple';

let server: TestServer;

async function api(path: string, body: unknown, cookie?: string) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${path} → ${response.status} ${JSON.stringify(json)}`);
  const setCookie = response.headers.getSetCookie().find((value) => value.startsWith('sump_session='));
  return { json, cookie: setCookie?.split(';')[0] };
}

interface Environment {
  environmentId: string;
  clientId: string;
  clientSecret: string;
  issuer: string;
}

async function createTenant(label: string): Promise<Environment & { cookie: string; tenantId: string }> {
  const tenant = await api('/tenants', {
    tenant: { name: `Tenant ${label}` },
    account: { name: 'Owner Person', email: `owner-${label}@example.com`, username: `owner-${label}`, password: PASSWORD },
    environment: { name: 'dev' },
  });
  const cookie = tenant.cookie as string;
  const environmentId = tenant.json.environmentId as string;
  return { ...(await registerClient(environmentId, cookie)), cookie, tenantId: tenant.json.tenantId as string };
}

async function registerClient(environmentId: string, cookie: string): Promise<Environment> {
  const client = await api(
    `/environments/${environmentId}/clients`,
    { name: 'Sample app', redirectUris: [DEFAULT_REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI] },
    cookie,
  );
  return {
    environmentId,
    clientId: client.json.clientId as string,
    clientSecret: client.json.clientSecret as string,
    issuer: `${server.url}/oidc/${environmentId}`,
  };
}

async function discover(environment: Environment) {
  const config = await oidc.discovery(new URL(environment.issuer), environment.clientId, environment.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  oidc.enableNonRepudiationChecks(config);
  return config;
}

const atRedirectUri = (url: string) => url.startsWith('http://localhost:7777/');

describe('an app signs a user in through an environment (openid-client)', () => {
  let a: Environment & { cookie: string; tenantId: string };
  let b: Environment;
  let other: Environment & { cookie: string };
  const browser = new HttpBrowser(atRedirectUri);
  const email = 'Grace.Hopper@Example.com';

  beforeAll(async () => {
    server = await startTestServer();
    a = await createTenant('a');
    const second = await api(`/tenants/${a.tenantId}/environments`, { name: 'staging' }, a.cookie);
    b = await registerClient(second.json.id as string, a.cookie);
    other = await createTenant('other');
    await api(`/auth/environments/${a.environmentId}/signup`, {
      name: 'Grace Hopper',
      email,
      username: 'grace',
      password: PASSWORD,
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let config: oidc.Configuration;

  it('discovers the issuer at PUBLIC_URL/oidc/<environmentId>', async () => {
    config = await discover(a);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(`${server.url}/oidc/${a.environmentId}`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
  });

  it('signs the user in with code + PKCE S256, state, nonce and consent', async () => {
    const { url, verifier, state, nonce } = await authorizationRequest(config, {
      scope: 'openid profile email offline_access',
      prompt: 'consent',
    });

    const login = await browser.follow(url.href);
    expect(login.status).toBe(200);
    expect(login.url).toMatch(new RegExp(`/oidc/${a.environmentId}/interaction/[^/]+$`));
    expect(findElement(login, 'input[name=identifier]')).not.toBeNull();
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    const consent = await browser.submit(login, { identifier: email.toLowerCase(), password: PASSWORD });
    expect(consent.status).toBe(200);
    expect(pageText(consent)).toContain('Sample app');

    const callback = await browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
    expect(callback.url.startsWith(`${DEFAULT_REDIRECT_URI}?`)).toBe(true);

    tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: a.issuer, aud: a.clientId, nonce });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('answers userinfo with the user’s email', async () => {
    const claims = tokens.claims();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub as string);
    expect(userinfo).toMatchObject({ sub: claims?.sub, email, email_verified: false, name: 'Grace Hopper' });
  });

  it('refreshes, rotating the refresh token', async () => {
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe(tokens.claims()?.sub);
  });

  it('keeps environments apart: tokens, client ids and session cookies', async () => {
    // A's access token at B's userinfo
    const userinfo = await fetch(`${b.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);

    // A's client_id at B's authorization endpoint: sump's error page, no redirect to the app
    const wrongIssuer = new URL(`${b.issuer}/auth`);
    wrongIssuer.search = new URLSearchParams({
      client_id: a.clientId,
      redirect_uri: DEFAULT_REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const refused = await fetch(wrongIssuer, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('location')).toBeNull();
    expect(refused.headers.get('content-type')).toMatch(/text\/html/);
    expect(await refused.text()).toContain('invalid_client');

    // A's session cookies, sent to B and to another tenant's environment, sign nobody in
    const sessionCookies = (await browser.jar.getCookies(`${a.issuer}/auth`)).map((c) => `${c.key}=${c.value}`).join('; ');
    expect(sessionCookies).toContain('_session=');
    for (const target of [b, other]) {
      const targetConfig = await discover(target);
      const silent = (await authorizationRequest(targetConfig, { scope: 'openid', prompt: 'none' })).url;
      const answer = await fetch(silent, { redirect: 'manual', headers: { cookie: sessionCookies } });
      const location = new URL(answer.headers.get('location') as string);
      expect(location.href.startsWith(DEFAULT_REDIRECT_URI)).toBe(true);
      expect(location.searchParams.get('error')).toBe('login_required');
    }
  });

  it('logs out through RP-initiated logout, after which prompt=none answers login_required', async () => {
    const logoutUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const confirmation: PageResponse = await browser.follow(logoutUrl.href);
    expect(confirmation.status).toBe(200);
    expect(findElement(confirmation, 'button[name=logout][value=yes]')).not.toBeNull();
    const done = await browser.submit(confirmation, {}, { button: { name: 'logout', value: 'yes' } });
    expect(done.url).toBe(`${POST_LOGOUT_URI}?state=bye`);

    const silent = (await authorizationRequest(config, { scope: 'openid', prompt: 'none' })).url;
    const answer = await browser.follow(silent.href);
    expect(new URL(answer.url).searchParams.get('error')).toBe('login_required');
  });
});
