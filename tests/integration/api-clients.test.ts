import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateKeyPair, exportJWK } from 'jose';
import {
  addTenantAccount,
  allStrings,
  countRows,
  createClient,
  createEnvironment,
  DEFAULT_REDIRECT_URI,
  startServerWithTenants,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const CLIENT_ID = /^[A-Za-z0-9_-]{16,64}$/;

describe('clients: /api/v1/environments/:envId/clients', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const create = (body: Record<string, unknown>, options: { environmentId?: string; cookie?: string } = {}) =>
    request(server.url)
      .post(`/api/v1/environments/${options.environmentId ?? tenant.environmentId}/clients`)
      .set('Cookie', options.cookie ?? tenant.cookie)
      .send({ name: 'App', redirectUris: [DEFAULT_REDIRECT_URI], ...body });
  const get = (path: string, cookie = tenant.cookie) => request(server.url).get(path).set('Cookie', cookie);
  const clientsIn = (environmentId: string) => countRows(server.db, 'oidc_clients', { environment_id: environmentId });

  describe('POST', () => {
    it('registers a confidential client with DESIGN.md’s defaults and shows its secret once', async () => {
      // the issuer is built (and cached) before the client exists
      await fetch(`${server.url}/oidc/${tenant.environmentId}/.well-known/openid-configuration`);
      const response = await create({ name: 'Web app' });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: response.body.clientId,
        clientId: expect.stringMatching(CLIENT_ID),
        tenantId: tenant.tenantId,
        environmentId: tenant.environmentId,
        name: 'Web app',
        redirectUris: [DEFAULT_REDIRECT_URI],
        postLogoutRedirectUris: [],
        grantTypes: ['authorization_code', 'refresh_token'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        applicationType: 'web',
        scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
        firstParty: false,
        requirePkce: true,
        jwks: null,
        jwksUri: null,
        backchannelLogoutUri: null,
        allowedCorsOrigins: [],
        idTokenSignedResponseAlg: 'RS256',
        allowedResources: [],
        disabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(response.headers['cache-control']).toBe('no-store');
      const { clientId, clientSecret } = response.body;
      // …and knows the new client at once
      const authorize = new URL(`${server.url}/oidc/${tenant.environmentId}/auth`);
      authorize.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: DEFAULT_REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString();
      const started = await fetch(authorize, { redirect: 'manual' });
      expect(started.status).toBe(303);
      expect(started.headers.get('location')).toMatch(/\/interaction\//);
      const row = await server.db('oidc_clients').where({ tenant_id: tenant.tenantId, client_id: clientId }).first();
      expect(row.secret_encrypted).not.toContain(clientSecret);
      expect(row.secret_encrypted).toMatch(/^v1\./);
      expect(server.sump.services.boxes.clientSecret.decrypt(row.secret_encrypted)).toBe(clientSecret);

      const again = await get(`/api/v1/environments/${tenant.environmentId}/clients/${clientId}`);
      expect(again.status).toBe(200);
      expect(again.body).not.toHaveProperty('clientSecret');
      expect(allStrings(again.body)).not.toContain(clientSecret);
      expect(allStrings(again.body)).not.toContain(row.secret_encrypted);
      const { clientSecret: _shown, ...entity } = response.body;
      expect(again.body).toEqual(entity);
    });

    it('registers a public client without any secret', async () => {
      const response = await create({ tokenEndpointAuthMethod: 'none', applicationType: 'native', redirectUris: ['com.example.app:/callback'] });
      expect(response.status).toBe(201);
      expect(response.body).not.toHaveProperty('clientSecret');
      const row = await server.db('oidc_clients').where({ client_id: response.body.clientId }).first();
      expect(row.secret_encrypted).toBeNull();
    });

    it('registers a private_key_jwt client with its public keys and no secret', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(publicKey);
      const response = await create({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
      expect(response.status).toBe(201);
      expect(response.body.jwks).toEqual({ keys: [jwk] });
      expect(response.body).not.toHaveProperty('clientSecret');
      const withPrivate = await create({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } });
      expect(withPrivate.status).toBe(400);
      expect(withPrivate.body.errors).toEqual([{ field: 'jwks.keys[0]', message: 'must be a public key' }]);
    });

    it('registers a machine client (client_credentials) without redirect URIs', async () => {
      const response = await create({ grantTypes: ['client_credentials'], redirectUris: undefined, firstParty: true });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ redirectUris: [], grantTypes: ['client_credentials'], firstParty: true });
      expect(response.body.clientSecret).toEqual(expect.any(String));
    });

    it.each([
      ['loopback http for a web client', 'web', 'http://127.0.0.1:8080/cb'],
      ['IPv6 loopback for a web client', 'web', 'http://[::1]:3000/cb'],
      ['https with a query', 'web', 'https://app.example.com/cb?x=1'],
      ['a custom scheme for a native client', 'native', 'com.example.app:/oauth'],
      ['localhost http for a native client', 'native', 'http://localhost:5000/cb'],
    ])('accepts %s', async (_what, applicationType, uri) => {
      const response = await create({ applicationType, redirectUris: [uri], postLogoutRedirectUris: [uri] });
      expect(response.status).toBe(201);
      expect(response.body.redirectUris).toEqual([uri]);
    });

    it.each([
      ['a fragment', 'web', 'https://app.example.com/cb#x'],
      ['userinfo', 'web', 'https://user:pw@app.example.com/cb'],
      ['a wildcard', 'web', 'https://*.example.com/cb'],
      ['a relative URI', 'web', '/callback'],
      ['plain http on a public host', 'web', 'http://app.example.com/cb'],
      ['a custom scheme for a web client', 'web', 'com.example.app:/cb'],
      ['javascript: for a native client', 'native', 'javascript:alert(1)'],
      ['http on a non-loopback host for a native client', 'native', 'http://192.168.1.2/cb'],
      ['a space', 'web', 'https://app.example.com/a b'],
      // Not in the form a client library sends (exact matching would fail it at every sign-in):
      ['an upper-case scheme and host', 'web', 'HTTPS://App.Example.com/cb'],
      ['a percent-encoded host', 'web', 'https://%61pp.example.com/cb'],
      ['a host not in punycode', 'web', 'https://пример.рф/cb'],
      ['the default port written out', 'web', 'https://app.example.com:443/cb'],
      ['an upper-case loopback host for a native client', 'native', 'http://LOCALHOST:5000/cb'],
      ['dot segments in the path', 'web', 'https://app.example.com/app/../cb'],
      ['port 0 on loopback for a native client', 'native', 'http://127.0.0.1:0/cb'],
    ])('refuses a redirect URI with %s', async (_what, applicationType, uri) => {
      const before = await clientsIn(tenant.environmentId);
      const response = await create({ applicationType, redirectUris: [DEFAULT_REDIRECT_URI, uri] });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'redirectUris[1]' })]);
      const postLogout = await create({ applicationType, postLogoutRedirectUris: [uri] });
      expect(postLogout.status).toBe(400);
      expect(postLogout.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'postLogoutRedirectUris[0]' })]));
      expect(await clientsIn(tenant.environmentId)).toBe(before);
    });

    it.each([
      ['no redirect URI for the code grant', { redirectUris: [] }, 'redirectUris'],
      ['a public client with client_credentials', { tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code', 'client_credentials'] }, 'grantTypes'],
      ['a public client without PKCE', { tokenEndpointAuthMethod: 'none', requirePkce: false }, 'requirePkce'],
      ['private_key_jwt without keys', { tokenEndpointAuthMethod: 'private_key_jwt' }, 'jwks'],
      ['jwks for a secret client', { jwks: { keys: [{ kty: 'EC' }] } }, 'jwks'],
      ['refresh_token without the code grant', { grantTypes: ['refresh_token', 'client_credentials'] }, 'grantTypes'],
      ['an unknown grant type', { grantTypes: ['implicit'] }, 'grantTypes[0]'],
      ['a repeated grant type', { grantTypes: ['authorization_code', 'authorization_code'] }, 'grantTypes'],
      ['an unknown auth method', { tokenEndpointAuthMethod: 'tls_client_auth' }, 'tokenEndpointAuthMethod'],
      ['an unknown application type', { applicationType: 'spa' }, 'applicationType'],
      ['an unknown ID token algorithm', { idTokenSignedResponseAlg: 'HS256' }, 'idTokenSignedResponseAlg'],
      ['a CORS origin with a path', { allowedCorsOrigins: ['https://app.example.com/path'] }, 'allowedCorsOrigins[0]'],
      ['a scope with a space', { scopes: ['openid profile'] }, 'scopes[0]'],
      ['no name', { name: '' }, 'name'],
      ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
      ['redirectUris as a string', { redirectUris: DEFAULT_REDIRECT_URI }, 'redirectUris'],
      ['a repeated redirect URI', { redirectUris: [DEFAULT_REDIRECT_URI, DEFAULT_REDIRECT_URI] }, 'redirectUris'],
      ['a backchannel logout URI that is not a URL', { backchannelLogoutUri: 'not a url' }, 'backchannelLogoutUri'],
      // mass assignment: fields the server decides
      ['a chosen clientId', { clientId: 'chosen-client-id-123' }, 'clientId'],
      ['a chosen clientSecret', { clientSecret: 'x'.repeat(43) }, 'clientSecret'],
      ['secretEncrypted', { secretEncrypted: 'v1.x' }, 'secretEncrypted'],
      ['disabled', { disabled: false }, 'disabled'],
      ['tenantId', { tenantId: '00000000-0000-4000-8000-000000000000' }, 'tenantId'],
    ])('refuses %s with 400 and writes nothing', async (_what, body, field) => {
      const before = await clientsIn(tenant.environmentId);
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await clientsIn(tenant.environmentId)).toBe(before);
    });

    it('answers malformed JSON with 400, a missing body with 400 naming the fields, and a form with 415', async () => {
      const path = `/api/v1/environments/${tenant.environmentId}/clients`;
      const malformed = await request(server.url).post(path).set('Cookie', tenant.cookie).set('Content-Type', 'application/json').send('[{');
      expect(malformed.body.code).toBe('request.malformed_json');
      const empty = await request(server.url).post(path).set('Cookie', tenant.cookie);
      expect(empty.status).toBe(400);
      expect(empty.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
      const form = await request(server.url).post(path).set('Cookie', tenant.cookie).type('form').send({ name: 'x' });
      expect(form.status).toBe(415);
    });

    it('lets an admin register a client and refuses a user (403) before reading the body', async () => {
      const admin = await addTenantAccount(server, tenant, 'admin');
      expect((await create({}, { cookie: admin.cookie })).status).toBe(201);
      const user = await addTenantAccount(server, tenant, 'user');
      const before = await clientsIn(tenant.environmentId);
      const response = await create({ bogus: 1 }, { cookie: user.cookie });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('auth.forbidden');
      expect(await clientsIn(tenant.environmentId)).toBe(before);
    });

    it('answers 404 for another tenant’s environment and writes nothing there', async () => {
      const before = await clientsIn(other.environmentId);
      const response = await create({}, { environmentId: other.environmentId });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('environment.not_found');
      const missing = await create({}, { environmentId: '00000000-0000-4000-8000-000000000000' });
      expect(missing.body).toEqual(response.body);
      expect(await clientsIn(other.environmentId)).toBe(before);
    });

    it('answers 401 without a session and 400 for a malformed environment id', async () => {
      const anonymous = await request(server.url).post(`/api/v1/environments/${tenant.environmentId}/clients`).send({ name: 'x' });
      expect(anonymous.status).toBe(401);
      const bad = await create({}, { environmentId: 'env-1' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'request.invalid_id', errors: [{ field: 'environmentId' }] });
    });
  });

  describe('GET list', () => {
    it('pages through the clients, oldest first, without secrets', async () => {
      const environment = await createEnvironment(server, tenant);
      const created: string[] = [];
      for (let i = 0; i < 5; i += 1) created.push((await createClient(server, tenant, { name: `c${i}` }, environment.id)).clientId);
      const path = `/api/v1/environments/${environment.id}/clients`;
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const response = await get(`${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        expect(Object.keys(response.body).sort()).toEqual(['items', 'nextCursor']);
        for (const item of response.body.items) expect(item).not.toHaveProperty('clientSecret');
        seen.push(...response.body.items.map((item: { clientId: string }) => item.clientId));
        sizes.push(response.body.items.length);
        cursor = response.body.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(created);
      const all = await get(path);
      expect(all.body.items).toHaveLength(5);
      expect(all.body.nextCursor).toBeNull();
    });

    it('shows the list to a user role, and another tenant’s list to nobody (404)', async () => {
      const user = await addTenantAccount(server, tenant, 'user');
      expect((await get(`/api/v1/environments/${tenant.environmentId}/clients`, user.cookie)).status).toBe(200);
      const foreign = await get(`/api/v1/environments/${other.environmentId}/clients`);
      expect(foreign.status).toBe(404);
    });

    it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['cursor=not-a-cursor'], ['sort=name']])('refuses ?%s with 400', async (query) => {
      const response = await get(`/api/v1/environments/${tenant.environmentId}/clients?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
    });
  });

  describe('GET /:clientId', () => {
    it('answers 400 for a client id without its shape, and 404 for an unknown or foreign one', async () => {
      for (const id of ['short', 'has.dots.in.it.here', 'x'.repeat(65)]) {
        const response = await get(`/api/v1/environments/${tenant.environmentId}/clients/${id}`);
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: 'request.invalid_id', errors: [{ field: 'clientId' }] });
      }
      const unknown = await get(`/api/v1/environments/${tenant.environmentId}/clients/${'a'.repeat(24)}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('client.not_found');

      const foreignClient = await createClient(server, other);
      // B's client through A's environment, and through B's environment with A's cookie
      expect((await get(`/api/v1/environments/${tenant.environmentId}/clients/${foreignClient.clientId}`)).status).toBe(404);
      const viaForeignEnv = await get(`/api/v1/environments/${other.environmentId}/clients/${foreignClient.clientId}`);
      expect(viaForeignEnv.status).toBe(404);
      expect(viaForeignEnv.body.code).toBe('environment.not_found');

      // a client of another environment of the same tenant is not in this one
      const sibling = await createEnvironment(server, tenant);
      const inSibling = await createClient(server, tenant, {}, sibling.id);
      expect((await get(`/api/v1/environments/${tenant.environmentId}/clients/${inSibling.clientId}`)).status).toBe(404);
    });
  });
});
