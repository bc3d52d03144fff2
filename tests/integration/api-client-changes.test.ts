import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  addTenantAccount,
  allStrings,
  countRows,
  createClient,
  createTenant,
  DEFAULT_REDIRECT_URI,
  signupUser,
  type TestClient,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** PATCH and DELETE of a client, its secret rotation, and what disabling it does to its tokens. */
describe('changing clients', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    other = await createTenant(server);
    user = await signupUser(server, tenant.environmentId);
  });
  afterAll(async () => {
    await server.close();
  });

  const path = (client: TestClient, suffix = '') =>
    `/api/v1/environments/${tenant.environmentId}/clients/${client.clientId}${suffix}`;
  const patch = (client: TestClient, body: unknown, cookie = tenant.cookie) =>
    request(server.url).patch(path(client)).set('Cookie', cookie).send(body as object);

  const clientCredentials = (client: TestClient, secret: string) =>
    fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });

  async function signIn(client: TestClient) {
    const config = await discoverClient(server, tenant.environmentId, client);
    const start = await authorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    const consent = await browser.submit(login, { identifier: user.email, password: user.password });
    const callback = await browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    return { config, tokens };
  }

  it('changes what is given, keeps the rest, and answers the client', async () => {
    const client = await createClient(server, tenant);
    const response = await patch(client, { name: 'Renamed', firstParty: true, redirectUris: ['https://app.example/cb'] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      clientId: client.clientId,
      name: 'Renamed',
      firstParty: true,
      redirectUris: ['https://app.example/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    expect(response.body.clientSecret).toBeUndefined();
    expect(allStrings(response.body)).not.toContain(client.clientSecret);
  });

  it('applies the registration rules to the result, and writes nothing when they fail', async () => {
    const client = await createClient(server, tenant);
    for (const body of [
      { redirectUris: [] },
      { redirectUris: ['https://app.example/cb#frag'] },
      { tokenEndpointAuthMethod: 'none', requirePkce: false },
      { clientSecret: 'x'.repeat(43) },
      { clientId: 'another-client-id-123' },
      { grantTypes: ['implicit'] },
    ]) {
      const response = await patch(client, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.code).toBe('request.validation_failed');
    }
    const after = await request(server.url).get(path(client)).set('Cookie', tenant.cookie);
    expect(after.body.redirectUris).toEqual([DEFAULT_REDIRECT_URI]);
  });

  it('refuses a user role (403), another tenant (404), a bad id (400) and an unknown client (404)', async () => {
    const client = await createClient(server, tenant);
    const reader = await addTenantAccount(server, tenant, 'user');
    expect((await patch(client, { name: 'x' }, reader.cookie)).status).toBe(403);
    expect((await request(server.url).delete(path(client)).set('Cookie', reader.cookie)).status).toBe(403);
    expect((await request(server.url).post(path(client, '/secret')).set('Cookie', reader.cookie)).status).toBe(403);
    expect((await patch(client, { name: 'x' }, other.cookie)).status).toBe(404);
    expect((await request(server.url).delete(path(client)).set('Cookie', other.cookie)).status).toBe(404);
    const badId = await request(server.url)
      .patch(`/api/v1/environments/${tenant.environmentId}/clients/bad!`)
      .set('Cookie', tenant.cookie)
      .send({ name: 'x' });
    expect(badId.status).toBe(400);
    const unknown = await request(server.url)
      .patch(`/api/v1/environments/${tenant.environmentId}/clients/unknown-client-0000`)
      .set('Cookie', tenant.cookie)
      .send({ name: 'x' });
    expect(unknown.status).toBe(404);
    const row = await server.db('oidc_clients').where({ client_id: client.clientId }).first();
    expect(row.name).toBe('Test app');
  });

  it('rotates the secret: the new one works at once, the old one stops', async () => {
    const client = await createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [] });
    expect((await clientCredentials(client, client.clientSecret as string)).status).toBe(200);
    const rotated = await request(server.url).post(path(client, '/secret')).set('Cookie', tenant.cookie);
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.body.clientSecret).not.toBe(client.clientSecret);
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect((await clientCredentials(client, client.clientSecret as string)).status).toBe(401);
    expect((await clientCredentials(client, rotated.body.clientSecret)).status).toBe(200);
  });

  it('has no secret to rotate for a public client (409)', async () => {
    const client = await createClient(server, tenant, { tokenEndpointAuthMethod: 'none' });
    const response = await request(server.url).post(path(client, '/secret')).set('Cookie', tenant.cookie);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('client.no_secret');
  });

  it('disabling stops its access tokens at userinfo and introspection and refuses its refresh token', async () => {
    const client = await createClient(server, tenant);
    const { config, tokens } = await signIn(client);
    expect((await fetch(`${issuerOf(server, tenant.environmentId)}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);

    expect((await patch(client, { disabled: true })).body.disabled).toBe(true);
    const userinfo = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(401);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toThrow();
    const introspection = await fetch(`${issuerOf(server, tenant.environmentId)}/token/introspection`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    expect(introspection.status).toBe(401);

    // enabled again, the old tokens stay dead
    expect((await patch(client, { disabled: false })).body.disabled).toBe(false);
    const again = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(again.status).toBe(401);
  });

  it('deletes a client and what it was issued; it is unknown at the issuer at once', async () => {
    const client = await createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [] });
    expect((await clientCredentials(client, client.clientSecret as string)).status).toBe(200);
    const removed = await request(server.url).delete(path(client)).set('Cookie', tenant.cookie);
    expect(removed.status).toBe(204);
    expect(await countRows(server.db, 'oidc_clients', { client_id: client.clientId })).toBe(0);
    const leftovers = await server.db('oidc_artifacts').whereRaw(`payload->>'clientId' = ?`, [client.clientId]);
    expect(leftovers).toEqual([]);
    expect((await clientCredentials(client, client.clientSecret as string)).status).toBe(401);
    expect((await request(server.url).get(path(client)).set('Cookie', tenant.cookie)).status).toBe(404);
  });
});
