import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** CORS as DESIGN.md says: discovery and JWKS for all, the client endpoints for its origins only. */
describe('CORS on the issuer', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let client: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    client = await createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [], allowedCorsOrigins: ['https://app.example'] });
  });
  afterAll(async () => {
    await server.close();
  });

  const token = (origin: string, clientId: string, secret: string) =>
    fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: {
        origin,
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });

  it('answers discovery (at both locations) and JWKS to every origin', async () => {
    for (const url of [
      `${issuerOf(server, tenant.environmentId)}/.well-known/openid-configuration`,
      `${issuerOf(server, tenant.environmentId)}/jwks`,
      // RFC 8414's location of the same document
      `${server.url}/.well-known/oauth-authorization-server/oidc/${tenant.environmentId}`,
    ]) {
      const answer = await fetch(url, { headers: { origin: 'https://anyone.example' } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
    }
  });

  it('answers a preflight of the client endpoints without naming a client (it carries no credentials), allowing only form posts', async () => {
    for (const endpoint of ['token', 'me', 'token/introspection', 'token/revocation']) {
      const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/${endpoint}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://anyone.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect([endpoint, answer.status]).toEqual([endpoint, 204]);
      // The request itself is then answered for the client's origins only (below).
      expect(answer.headers.get('access-control-allow-methods')).not.toMatch(/DELETE|PUT|PATCH/);
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('lets the client’s own origin read its token answer', async () => {
    const answer = await token('https://app.example', client.clientId, client.clientSecret as string);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('refuses other origins, and error answers of unknown clients carry no CORS header', async () => {
    const foreign = await token('https://evil.example', client.clientId, client.clientSecret as string);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // refused outright, not only unreadable: no token was issued
    expect([foreign.status, ((await foreign.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
    const unknown = await token('https://evil.example', 'unknown-client-id-000', 'nope');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
    const badToken = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, {
      headers: { origin: 'https://evil.example', authorization: 'Bearer not-a-token' },
    });
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('access-control-allow-origin')).toBeNull();
  });

  describe('userinfo, introspection and revocation of a signed-in user’s tokens', () => {
    const APP = 'http://localhost:7777';
    let user: TestUser;
    let web: TestClient;
    let tokens: oidc.TokenEndpointResponse;

    beforeAll(async () => {
      user = await signupUser(server, tenant.environmentId);
      // Its redirect URI's origin (http://localhost:7777) is allowed without being listed.
      web = await createClient(server, tenant, { firstParty: true });
      const config = await discoverClient(server, tenant.environmentId, web);
      const start = await authorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
      const browser = newBrowser();
      let page = await browser.follow(start.url.href);
      page = await browser.submit(page, { identifier: user.email, password: user.password });
      page = await browser.submit(page, {}, { button: { name: 'decision', value: 'allow' } });
      tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
        expectedNonce: start.nonce,
      });
    });

    const basic = (client: TestClient, secret = client.clientSecret as string) =>
      `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;
    const form = (path: string, origin: string, authorization: string, body: Record<string, string>) =>
      fetch(`${issuerOf(server, tenant.environmentId)}${path}`, {
        method: 'POST',
        headers: { origin, authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });

    it('lets the origin of the client’s redirect URIs read userinfo, introspection and its token errors; refuses any other origin’s request outright (400, no CORS header)', async () => {
      const me = (origin: string) =>
        fetch(`${issuerOf(server, tenant.environmentId)}/me`, { headers: { origin, authorization: `Bearer ${tokens.access_token}` } });
      const calls = [
        ['userinfo', me, 200],
        ['introspection', (origin: string) => form('/token/introspection', origin, basic(web), { token: tokens.access_token }), 200],
        // An error of an authenticated client is readable by its own origin only.
        ['token error', (origin: string) => form('/token', origin, basic(web), { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }), 400],
      ] as const;
      for (const [what, call, status] of calls) {
        const own = await call(APP);
        expect([what, own.status, own.headers.get('access-control-allow-origin')]).toEqual([what, status, APP]);
        const foreign = await call('https://evil.example');
        expect([what, foreign.status, foreign.headers.get('access-control-allow-origin')]).toEqual([what, 400, null]);
        expect(await foreign.json()).toEqual(expect.objectContaining({ error: 'invalid_request', error_description: expect.stringContaining('not allowed') }));
      }
    });

    it('gives another client’s origin nothing, and a wrong secret or an unknown client no CORS header even from the client’s own origin', async () => {
      // `client` (https://app.example) is a client of the same environment: its origin is not web's.
      const other = await form('/token/introspection', 'https://app.example', basic(client), { token: tokens.access_token });
      expect(other.status).toBe(200);
      expect(await other.json()).toEqual({ active: false });
      expect(other.headers.get('access-control-allow-origin')).toBe('https://app.example');
      for (const path of ['/token/introspection', '/token/revocation', '/token']) {
        for (const authorization of [basic(web, 'wrong-secret'), basic({ clientId: 'unknown-client-id-000' }, 'nope')]) {
          const answer = await form(path, APP, authorization, { token: tokens.access_token, grant_type: 'client_credentials' });
          expect([path, answer.status, answer.headers.get('access-control-allow-origin')]).toEqual([path, 401, null]);
        }
      }
    });

    it('gives a client_assertion signed by a key the client never registered (invalid_client) no CORS header, from the client’s own origin too', async () => {
      const registered = await generateKeyPair('ES256');
      const keyClient = await createClient(server, tenant, {
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(registered.publicKey)), kid: 'registered', alg: 'ES256', use: 'sig' }] },
      });
      const forger = await generateKeyPair('ES256');
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'registered' })
        .setIssuer(keyClient.clientId)
        .setSubject(keyClient.clientId)
        .setAudience(issuerOf(server, tenant.environmentId))
        .setJti(`jti-${Date.now()}`)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(forger.privateKey);
      const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
        method: 'POST',
        headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'whatever',
          client_id: keyClient.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      expect([answer.status, ((await answer.json()) as { error: string }).error]).toEqual([401, 'invalid_client']);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets the client’s origin revoke its own token; another origin’s revocation is refused and revokes nothing', async () => {
      const foreign = await form('/token/revocation', 'https://evil.example', basic(web), { token: tokens.access_token });
      expect([foreign.status, foreign.headers.get('access-control-allow-origin')]).toEqual([400, null]);
      const still = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(still.status).toBe(200);
      const own = await form('/token/revocation', APP, basic(web), { token: tokens.access_token });
      expect([own.status, own.headers.get('access-control-allow-origin')]).toEqual([200, APP]);
      const gone = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(gone.status).toBe(401);
    });
  });
});
