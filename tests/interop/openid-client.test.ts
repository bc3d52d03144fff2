import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { DEFAULT_REDIRECT_URI, createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { pageText } from '../helpers/http-browser.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * openid-client 6 (panva's certified relying-party library) as the app, unchanged: every grant
 * and endpoint an app or an API uses, through sump's discovery only, with signatures checked.
 */

const RESOURCE = 'https://orders.interop.example/api';

let server: TestServer;
let tenant: TestTenant;
let user: TestUser;
let issuer: string;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server);
  user = await signupUser(server, tenant.environmentId);
  issuer = issuerOf(server, tenant.environmentId);
  jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const resource = await request(server.url)
    .post(`/api/v1/environments/${tenant.environmentId}/resources`)
    .set('Cookie', tenant.cookie)
    .send({ identifier: RESOURCE, name: 'Orders API', scopes: ['orders:read', 'orders:write'] });
  expect(resource.status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

/** The hosted login (and consent, when shown) in a cookie-carrying HTTP client; answers the callback URL. */
async function signIn(start: { url: URL }, consent: boolean): Promise<URL> {
  const browser = newBrowser();
  const login = await browser.follow(start.url.href);
  expect(login.status).toBe(200);
  let page = await browser.submit(login, { identifier: user.email, password: user.password });
  if (consent) {
    expect(pageText(page)).toContain('Interop app');
    page = await browser.submit(page, {}, { button: { name: 'decision', value: 'allow' } });
  }
  expect(page.url.startsWith(`${DEFAULT_REDIRECT_URI}?`)).toBe(true);
  return new URL(page.url);
}

describe('openid-client 6: code + PKCE, refresh, introspection, revocation', () => {
  let client: TestClient;
  let config: oidc.Configuration;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  beforeAll(async () => {
    client = await createClient(server, tenant, { name: 'Interop app' });
    config = await discoverClient(server, tenant.environmentId, client);
  });

  it('signs the user in through the hosted login page; the ID token is signed by the issuer’s JWKS', async () => {
    const start = await authorizationRequest(config, { scope: 'openid profile email offline_access', prompt: 'consent' });
    const callback = await signIn(start, true);
    // enableNonRepudiationChecks (in discoverClient) makes openid-client verify the signature too
    tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(decodeProtectedHeader(tokens.id_token as string)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const { payload } = await jwtVerify(tokens.id_token as string, jwks, { issuer, audience: client.clientId });
    // the code flow puts the scopes' claims in userinfo, not in the ID token
    expect(payload).toMatchObject({ sub: user.accountId, nonce: start.nonce, iss: issuer, aud: client.clientId });

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.accountId);
    expect(userinfo).toMatchObject({ sub: user.accountId, email: user.email, name: user.name });
  });

  it('refuses a code exchange without the PKCE verifier it was issued for', async () => {
    const start = await authorizationRequest(config);
    const callback = await signIn(start, true);
    const attempt = oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    await expect(attempt).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('rotates the refresh token on every use; the new access token works, the ID token still verifies', async () => {
    const first = tokens.refresh_token as string;
    const refreshed = await oidc.refreshTokenGrant(config, first);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    await jwtVerify(refreshed.id_token as string, jwks, { issuer, audience: client.clientId });
    expect(refreshed.claims()).toMatchObject({ sub: user.accountId });
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, user.accountId)).toMatchObject({ email: user.email });
    tokens = refreshed;
  });

  it('introspects its access and refresh tokens as active, with their subject and client', async () => {
    const access = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(access).toMatchObject({ active: true, sub: user.accountId, client_id: client.clientId, iss: issuer, token_type: 'Bearer' });
    expect(access.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
    const refresh = await oidc.tokenIntrospection(config, tokens.refresh_token as string);
    expect(refresh).toMatchObject({ active: true, sub: user.accountId, client_id: client.clientId });
  });

  it('revokes the access token: introspection says inactive and userinfo refuses it', async () => {
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
    await oidc.tokenRevocation(config, tokens.access_token);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    await expect(oidc.fetchUserInfo(config, tokens.access_token, user.accountId)).rejects.toMatchObject({ status: 401 });
  });

  it('revokes the refresh token: it is inactive and refused at the token endpoint', async () => {
    const refreshToken = tokens.refresh_token as string;
    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    expect(await oidc.tokenIntrospection(config, refreshToken)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('openid-client 6: client_credentials', () => {
  let config: oidc.Configuration;
  let machine: TestClient;

  beforeAll(async () => {
    machine = await createClient(server, tenant, {
      name: 'Interop machine',
      grantTypes: ['client_credentials'],
      redirectUris: [],
      allowedResources: [RESOURCE],
      // the resource's scopes this client may have (the resource also offers orders:write)
      scopes: ['orders:read'],
    });
    config = await discoverClient(server, tenant.environmentId, machine);
  });

  it('without a resource: an opaque access token with no audience, active at introspection', async () => {
    const answer = await oidc.clientCredentialsGrant(config);
    expect(answer.token_type.toLowerCase()).toBe('bearer');
    expect(answer.access_token.split('.')).toHaveLength(1);
    expect(answer.refresh_token).toBeUndefined();
    const introspection = await oidc.tokenIntrospection(config, answer.access_token);
    expect(introspection).toMatchObject({ active: true, client_id: machine.clientId });
    expect(introspection.aud).toBeUndefined();
  });

  it('for an API resource: an RFC 9068 JWT (typ at+jwt) whose audience is the resource, signed by the JWKS', async () => {
    // asked for both of the resource's scopes, it gets the one the client lists
    const answer = await oidc.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'orders:read orders:write' });
    expect(answer.scope).toBe('orders:read');
    expect(decodeProtectedHeader(answer.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const { payload } = await jwtVerify(answer.access_token, jwks, { issuer, audience: RESOURCE, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: machine.clientId, scope: 'orders:read', sub: machine.clientId });
    expect(payload.exp).toEqual(expect.any(Number));
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('refuses a resource the client was not given (invalid_target) and a wrong secret (invalid_client)', async () => {
    await expect(oidc.clientCredentialsGrant(config, { resource: 'https://elsewhere.interop.example/' })).rejects.toMatchObject({
      error: 'invalid_target',
    });
    const wrong = await discoverClient(server, tenant.environmentId, { ...machine, clientSecret: `${machine.clientSecret}x` });
    await expect(oidc.clientCredentialsGrant(wrong)).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

/** A small HTTP server in the test that publishes a relying party's public keys, counting fetches. */
async function startJwksServer(keys: JWK[]) {
  let fetches = 0;
  const jwksServer = createServer((incoming, response) => {
    if (incoming.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const { port } = jwksServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        jwksServer.closeAllConnections();
        jwksServer.close(() => resolve());
      }),
  };
}

async function keyPair(alg: 'ES256' | 'RS256', kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const discoverWithKey = (clientId: string, privateKey: CryptoKey, kid: string) =>
  oidc
    .discovery(new URL(issuer), clientId, undefined, oidc.PrivateKeyJwt({ key: privateKey, kid }), {
      execute: [oidc.allowInsecureRequests],
    })
    .then((config) => {
      oidc.enableNonRepudiationChecks(config);
      return config;
    });

describe('openid-client 6: private_key_jwt client authentication', () => {
  it('a client registered with jwks signs in a user (code + PKCE) and gets ES256 ID tokens; a foreign key is refused', async () => {
    const own = await keyPair('ES256', 'interop-es-1');
    const client = await createClient(server, tenant, {
      name: 'Interop keys app',
      firstParty: true,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [own.jwk] },
      idTokenSignedResponseAlg: 'ES256',
    });
    expect(client.clientSecret).toBeUndefined();
    const config = await discoverWithKey(client.clientId, own.privateKey, own.jwk.kid as string);
    const start = await authorizationRequest(config);
    const callback = await signIn(start, false);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    expect(decodeProtectedHeader(tokens.id_token as string)).toMatchObject({ alg: 'ES256' });
    const { payload } = await jwtVerify(tokens.id_token as string, jwks, { issuer, audience: client.clientId, algorithms: ['ES256'] });
    expect(payload).toMatchObject({ sub: user.accountId });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: client.clientId });

    const stranger = await keyPair('ES256', own.jwk.kid as string);
    const impostor = await discoverWithKey(client.clientId, stranger.privateKey, own.jwk.kid as string);
    await expect(oidc.tokenIntrospection(impostor, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('a client registered with a jwksUri (served by the test) gets tokens; sump fetched its keys from there', async () => {
    const own = await keyPair('RS256', 'interop-rs-1');
    const published = await startJwksServer([own.jwk]);
    try {
      const client = await createClient(server, tenant, {
        name: 'Interop remote keys',
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwksUri: published.url,
        grantTypes: ['client_credentials'],
        redirectUris: [],
        allowedResources: [RESOURCE],
        scopes: ['orders:read', 'orders:write'],
      });
      const config = await discoverWithKey(client.clientId, own.privateKey, own.jwk.kid as string);
      const answer = await oidc.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'orders:write' });
      const { payload } = await jwtVerify(answer.access_token, jwks, { issuer, audience: RESOURCE, typ: 'at+jwt' });
      expect(payload).toMatchObject({ client_id: client.clientId, scope: 'orders:write' });
      expect(published.fetches()).toBeGreaterThanOrEqual(1);

      const stranger = await keyPair('RS256', own.jwk.kid as string);
      const impostor = await discoverWithKey(client.clientId, stranger.privateKey, own.jwk.kid as string);
      await expect(oidc.clientCredentialsGrant(impostor)).rejects.toMatchObject({ error: 'invalid_client' });
    } finally {
      await published.close();
    }
  });
});
