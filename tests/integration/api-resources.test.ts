import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { addTenantAccount, countRows, createClient, createTenant, type TestClient, type TestTenant } from '../helpers/fixtures.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** API resources: CRUD, clients' allowedResources, and the access tokens issued for them. */
describe('API resources', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    other = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  const base = () => `/api/v1/environments/${tenant.environmentId}/resources`;
  const create = (body: object, cookie = tenant.cookie) => request(server.url).post(base()).set('Cookie', cookie).send(body);
  const basic = (client: TestClient) => `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  const token = (client: TestClient, resource?: string) =>
    fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read:orders', ...(resource ? { resource } : {}) }).toString(),
    });
  const introspect = (client: TestClient, accessToken: string) =>
    fetch(`${issuerOf(server, tenant.environmentId)}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
      body: new URLSearchParams({ token: accessToken }).toString(),
    }).then((answer) => answer.json() as Promise<Record<string, unknown>>);
  const machine = (allowedResources: string[]) =>
    createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [], allowedResources, scopes: ['read:orders'] });

  it('creates, reads, lists, changes and refuses duplicates and bad input', async () => {
    const created = await create({ identifier: 'https://api.example/crud', name: 'CRUD API', scopes: ['read', 'write'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ identifier: 'https://api.example/crud', accessTokenFormat: 'jwt', accessTokenTtl: null, introspectors: [] });
    expect((await create({ identifier: 'https://api.example/crud', name: 'Again' })).status).toBe(409);
    for (const body of [
      { identifier: 'not a uri', name: 'x' },
      { identifier: 'https://api.example/#frag', name: 'x' },
      { identifier: 'https://api.example/x', name: 'x', accessTokenFormat: 'paseto' },
      { identifier: 'https://api.example/x', name: 'x', extra: true },
      { identifier: 'https://api.example/x' },
    ]) {
      expect((await create(body)).status).toBe(400);
    }
    const id = created.body.id as string;
    expect((await request(server.url).get(`${base()}/${id}`).set('Cookie', tenant.cookie)).body.name).toBe('CRUD API');
    const list = await request(server.url).get(base()).set('Cookie', tenant.cookie);
    expect(list.body.items.map((item: { id: string }) => item.id)).toContain(id);
    const patched = await request(server.url).patch(`${base()}/${id}`).set('Cookie', tenant.cookie).send({ name: 'Renamed', accessTokenTtl: 600 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', accessTokenTtl: 600, identifier: 'https://api.example/crud' });
    expect((await request(server.url).patch(`${base()}/${id}`).set('Cookie', tenant.cookie).send({ identifier: 'https://x' })).status).toBe(400);
    expect((await request(server.url).get(`${base()}/not-a-uuid`).set('Cookie', tenant.cookie)).status).toBe(400);
  });

  it('refuses a user role writes (403) and another tenant everything (404), writing nothing', async () => {
    const reader = await addTenantAccount(server, tenant, 'user');
    expect((await create({ identifier: 'https://api.example/denied', name: 'x' }, reader.cookie)).status).toBe(403);
    expect((await create({ identifier: 'https://api.example/denied', name: 'x' }, other.cookie)).status).toBe(404);
    expect((await request(server.url).get(base()).set('Cookie', other.cookie)).status).toBe(404);
    expect((await request(server.url).get(base()).set('Cookie', reader.cookie)).status).toBe(200);
    expect(await countRows(server.db, 'api_resources', { identifier: 'https://api.example/denied' })).toBe(0);
  });

  it('lets a client list only resources of its environment', async () => {
    const refused = await request(server.url)
      .post(`/api/v1/environments/${tenant.environmentId}/clients`)
      .set('Cookie', tenant.cookie)
      .send({ name: 'M', grantTypes: ['client_credentials'], allowedResources: ['https://api.example/nowhere'] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'allowedResources[0]' })]);
  });

  it('issues a JWT access token (RFC 9068) for a jwt resource, with the resource as audience', async () => {
    await create({ identifier: 'https://api.example/orders', name: 'Orders', scopes: ['read:orders', 'write:orders'] });
    const client = await machine(['https://api.example/orders']);
    const answer = await token(client, 'https://api.example/orders');
    expect(answer.status).toBe(200);
    const { access_token: accessToken, scope } = (await answer.json()) as { access_token: string; scope: string };
    expect(scope).toBe('read:orders');
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const jwks = createRemoteJWKSet(new URL(`${issuerOf(server, tenant.environmentId)}/jwks`));
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: issuerOf(server, tenant.environmentId), audience: 'https://api.example/orders' });
    expect(payload).toMatchObject({ client_id: client.clientId, scope: 'read:orders' });
  });

  it('issues an opaque token for an opaque resource, and refuses a resource the client may not ask for', async () => {
    await create({ identifier: 'https://api.example/opaque', name: 'Opaque', scopes: ['read:orders'], accessTokenFormat: 'opaque' });
    await create({ identifier: 'https://api.example/other', name: 'Other', scopes: ['read:orders'] });
    const client = await machine(['https://api.example/opaque']);
    const answer = (await (await token(client, 'https://api.example/opaque')).json()) as { access_token: string };
    expect(answer.access_token.split('.')).toHaveLength(1);
    const refused = await token(client, 'https://api.example/other');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_target' });
  });

  it('takes as introspectors only clients of its own environment (400 naming each other one), on create and update', async () => {
    const own = await createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [] });
    const elsewhere = await createTenant(server);
    const foreign = await createClient(server, elsewhere, { grantTypes: ['client_credentials'], redirectUris: [] });
    const unknownId = `${own.clientId.slice(0, -1)}${own.clientId.endsWith('a') ? 'b' : 'a'}`;
    const before = await server.db('api_resources').where({ tenant_id: tenant.tenantId }).count({ count: '*' });
    const refused = await create({ identifier: 'https://api.example/introspector-check', name: 'Checked', introspectors: [own.clientId, foreign.clientId, unknownId] });
    expect([refused.status, refused.body.errors]).toEqual([
      400,
      [
        { field: 'introspectors[1]', message: 'names no client of this environment' },
        { field: 'introspectors[2]', message: 'names no client of this environment' },
      ],
    ]);
    expect(await server.db('api_resources').where({ tenant_id: tenant.tenantId }).count({ count: '*' })).toEqual(before);
    const created = await create({ identifier: 'https://api.example/introspector-check', name: 'Checked', introspectors: [own.clientId] });
    expect(created.status).toBe(201);
    const patched = await request(server.url).patch(`${base()}/${created.body.id}`).set('Cookie', tenant.cookie).send({ introspectors: [foreign.clientId] });
    expect([patched.status, patched.body.errors?.[0]?.field]).toEqual([400, 'introspectors[0]']);
  });

  it('answers introspection to the token’s client and to the resource’s introspectors only', async () => {
    const introspector = await machine([]);
    const stranger = await machine([]);
    await create({
      identifier: 'https://api.example/introspected',
      name: 'Introspected',
      scopes: ['read:orders'],
      accessTokenFormat: 'opaque',
      introspectors: [introspector.clientId],
    });
    const client = await machine(['https://api.example/introspected']);
    const { access_token: accessToken } = (await (await token(client, 'https://api.example/introspected')).json()) as { access_token: string };
    expect(await introspect(client, accessToken)).toMatchObject({ active: true, aud: 'https://api.example/introspected' });
    expect(await introspect(introspector, accessToken)).toMatchObject({ active: true });
    expect(await introspect(stranger, accessToken)).toEqual({ active: false });
  });

  it('refuses to delete a resource a client still lists (409), then deletes it', async () => {
    const created = await create({ identifier: 'https://api.example/in-use', name: 'In use' });
    const client = await machine(['https://api.example/in-use']);
    const path = `${base()}/${created.body.id}`;
    const busy = await request(server.url).delete(path).set('Cookie', tenant.cookie);
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('resource.in_use');
    await request(server.url)
      .patch(`/api/v1/environments/${tenant.environmentId}/clients/${client.clientId}`)
      .set('Cookie', tenant.cookie)
      .send({ allowedResources: [] })
      .expect(200);
    expect((await request(server.url).delete(path).set('Cookie', tenant.cookie)).status).toBe(204);
    expect((await request(server.url).get(path).set('Cookie', tenant.cookie)).status).toBe(404);
  });
});
