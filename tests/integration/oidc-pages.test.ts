import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createClient, createTenant, DEFAULT_REDIRECT_URI, signupUser, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { findElement, pageText } from '../helpers/http-browser.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The hosted login, consent and logout pages, and the provider rules around them. */
describe('hosted OIDC pages', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    user = await signupUser(server, tenant.environmentId);
  });
  afterAll(async () => {
    await server.close();
  });

  it('skips consent for a first-party client, and signs in by username too', async () => {
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const start = await authorizationRequest(config);
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    const callback = await browser.submit(login, { identifier: user.username.toUpperCase(), password: user.password });
    expect(callback.url.startsWith(`${DEFAULT_REDIRECT_URI}?code=`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(tokens.claims()?.sub).toBe(user.accountId);
  });

  it('shows consent to a first-party client when the request asks for it (prompt=consent)', async () => {
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config, { prompt: 'consent' })).url.href);
    const consent = await browser.submit(login, { identifier: user.email, password: user.password });
    expect(findElement(consent, 'button[name=decision][value=allow]')).not.toBeNull();
  });

  it('answers a denied consent with access_denied at the redirect URI', async () => {
    const client = await createClient(server, tenant);
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const start = await authorizationRequest(config);
    const login = await browser.follow(start.url.href);
    const consent = await browser.submit(login, { identifier: user.email, password: user.password });
    const denied = await browser.submit(consent, {}, { button: { name: 'decision', value: 'deny' } });
    const url = new URL(denied.url);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe(start.state);
  });

  it('answers a wrong password and an unknown identifier with the same page and status', async () => {
    const client = await createClient(server, tenant);
    const config = await discoverClient(server, tenant.environmentId, client);
    const answers = [];
    for (const identifier of [user.email, 'nobody@example.com']) {
      const browser = newBrowser();
      const login = await browser.follow((await authorizationRequest(config)).url.href);
      const again = await browser.submit(login, { identifier, password: 'wrong password here' });
      answers.push({ status: again.status, text: pageText(again).replace(identifier, '<id>') });
      expect(findElement(again, 'input[name=identifier]')?.getAttribute('value')).toBe(identifier);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]?.status).toBe(401);
  });

  it('refuses a login form without its CSRF token', async () => {
    const client = await createClient(server, tenant);
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    const refused = await browser.submit(login, { identifier: user.email, password: user.password, csrf: 'forged' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
  });

  it('requires PKCE S256 from a confidential client by default, and refuses plain', async () => {
    const client = await createClient(server, tenant);
    const config = await discoverClient(server, tenant.environmentId, client);
    for (const params of [
      { code_challenge: '', code_challenge_method: '' },
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
    ]) {
      const start = await authorizationRequest(config);
      const url = new URL(start.url);
      for (const [key, value] of Object.entries(params)) {
        if (value === '') url.searchParams.delete(key);
        else url.searchParams.set(key, value);
      }
      const answer = await newBrowser().follow(url.href);
      expect(new URL(answer.url).searchParams.get('error')).toBe('invalid_request');
    }
  });

  it('lets a confidential client with requirePkce: false sign in without PKCE', async () => {
    const client = await createClient(server, tenant, { requirePkce: false, firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: DEFAULT_REDIRECT_URI, scope: 'openid', state });
    const browser = newBrowser();
    const login = await browser.follow(url.href);
    const callback = await browser.submit(login, { identifier: user.email, password: user.password });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), { expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.accountId);
  });

  it('scopes the session cookie to the issuer path', async () => {
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    await browser.submit(login, { identifier: user.email, password: user.password });
    const session = (await browser.jar.getCookies(`${issuerOf(server, tenant.environmentId)}/auth`)).find(
      (cookie) => cookie.key === '_session',
    );
    expect(session?.path).toBe(`/oidc/${tenant.environmentId}`);
    expect(session?.httpOnly).toBe(true);
    const elsewhere = await browser.jar.getCookies(`${server.url}/oidc/00000000-0000-4000-8000-000000000000/auth`);
    expect(elsewhere.map((cookie) => cookie.key)).not.toContain('_session');
  });

  it('refuses a post_logout_redirect_uri that was not registered', async () => {
    const client = await createClient(server, tenant, { postLogoutRedirectUris: ['http://localhost:7777/bye'] });
    const url = new URL(`${issuerOf(server, tenant.environmentId)}/session/end`);
    url.search = new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: 'https://evil.example/' }).toString();
    const answer = await fetch(url, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.text()).toContain('post_logout_redirect_uri not registered');
  });

  it('answers errors at the endpoints a browser is sent to with an HTML page, whatever Accept says', async () => {
    const client = await createClient(server, tenant);
    const issuer = issuerOf(server, tenant.environmentId);
    const cases = [
      `${issuer}/session/end?id_token_hint=aaaa`,
      `${issuer}/session/end?id_token_hint=${encodeURIComponent('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')}`,
      `${issuer}/auth?client_id=${client.clientId}&response_type=code&scope=openid&redirect_uri=https://evil.example/`,
      `${issuer}/auth?client_id=unknown-client-000`,
    ];
    for (const url of cases) {
      for (const accept of ['*/*', 'application/json', undefined]) {
        const answer = await fetch(url, { redirect: 'manual', headers: accept ? { accept } : {} });
        expect([url, accept, answer.status, answer.headers.get('content-type')]).toEqual([url, accept, 400, expect.stringMatching(/^text\/html/)]);
        expect(answer.headers.get('location')).toBeNull();
      }
    }
  });

  it('answers a path under an issuer that nothing serves with the 404 page, malformed ones too', async () => {
    const issuer = issuerOf(server, tenant.environmentId);
    for (const path of ['/nothing-here', '/interaction/abc%00def', '/interaction/abc%ZZ', '/%00']) {
      const answer = await fetch(`${issuer}${path}`, { headers: { accept: 'text/html' } });
      expect([path, answer.status, answer.headers.get('content-type')]).toEqual([path, 404, expect.stringMatching(/^text\/html/)]);
    }
  });

  it('answers the favicon every browser asks for with an empty 204, not an error', async () => {
    const answer = await fetch(`${server.url}/favicon.ico`);
    expect([answer.status, await answer.text(), answer.headers.get('cache-control')]).toEqual([204, '', 'public, max-age=86400']);
  });

  it('answers an unknown or malformed environment with a 404: JSON at protocol endpoints, a page for browsers', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', tenant.environmentId.toUpperCase()]) {
      for (const path of ['/.well-known/openid-configuration', '/jwks', '/token']) {
        const answer = await fetch(`${server.url}/oidc/${id}${path}`, { method: path === '/token' ? 'POST' : 'GET' });
        expect([path, answer.status, answer.headers.get('content-type')]).toEqual([path, 404, expect.stringMatching(/^application\/json/)]);
        expect(await answer.json()).toEqual({ error: 'invalid_request', error_description: 'there is no issuer at this address' });
      }
      const page = await fetch(`${server.url}/oidc/${id}/auth?client_id=x`, { headers: { Accept: 'text/html' } });
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    }
  });

  it('builds every link from PUBLIC_URL, whatever Host or X-Forwarded-Host says', async () => {
    const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    const metadata = (await answer.json()) as Record<string, string>;
    expect(metadata.issuer).toBe(issuerOf(server, tenant.environmentId));
    expect(metadata.authorization_endpoint).toBe(`${issuerOf(server, tenant.environmentId)}/auth`);
    expect(JSON.stringify(metadata)).not.toContain('evil.example');
  });

  it('publishes an RS256 and an ES256 key, public parts only', async () => {
    const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/jwks`);
    const { keys } = (await answer.json()) as { keys: Array<Record<string, string>> };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) expect(key.d).toBeUndefined();
    const stored = await server.db('signing_keys').where({ environment_id: tenant.environmentId });
    expect(JSON.stringify(stored)).not.toMatch(/"d":/);
  });
});
