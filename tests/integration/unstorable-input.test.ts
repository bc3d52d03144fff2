import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createClient, createTenant, signupUser, countRows, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Input PostgreSQL cannot store (a NUL character, U+0000) is the caller's error, never a 500:
 * a 400 on the API, an OAuth invalid_request on the OIDC endpoints, a failed sign-in on the
 * login page — and nothing is written.
 */
describe('input the database cannot store', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    client = await createClient(server, tenant, { firstParty: true });
    user = await signupUser(server, tenant.environmentId);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a NUL in any JSON string with a 400 naming the field, and writes nothing', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [`/api/v1/auth/environments/${tenant.environmentId}/login`, { username: 'gr\u0000ace', password: 'x'.repeat(8) }, 'username'],
      [`/api/v1/auth/tenants/${tenant.tenantId}/login`, { email: 'a\u0000@example.com', password: 'x'.repeat(8) }, 'email'],
      [
        `/api/v1/auth/environments/${tenant.environmentId}/signup`,
        { name: 'Nul\u0000 Person', email: 'nul@example.com', username: 'nulperson', password: 'x'.repeat(12) },
        'name',
      ],
      ['/api/v1/tenants', { tenant: { name: 'T\u0000' }, account: { name: 'Abc', email: 'n@example.com', username: 'nnn', password: 'x'.repeat(12) } }, 'tenant.name'],
      ['/api/v1/tenants', { tenant: { name: 'Tenant', customProperties: { 'k\u0000': 1 } }, account: {} }, 'tenant.customProperties'],
    ];
    for (const [path, body, field] of cases) {
      const response = await request(server.url).post(path).send(body);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.body.code).toBe('request.validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringContaining(field) })]));
    }
    expect(await countRows(server.db, 'environment_accounts', { environment_id: tenant.environmentId, email: 'nul@example.com' })).toBe(0);
  });

  it('answers a body nested thousands deep with a 400, not a 500 (regression: the NUL walk overflowed the stack)', async () => {
    // written as text: building such a value and serialising it would overflow here too
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const tenantsBefore = await countRows(server.db, 'tenants', {});
    for (const [path, body] of [
      [`/api/v1/auth/environments/${tenant.environmentId}/login`, `{"x":${nested(4_000)}}`],
      [`/api/v1/auth/tenants/${tenant.tenantId}/forgot-password`, `${'['.repeat(15_000)}1${']'.repeat(15_000)}`],
      ['/api/v1/tenants', `{"tenant":{"name":"Deep","customProperties":{"deep":${nested(40)}}},"account":{}}`],
    ] as const) {
      const response = await request(server.url).post(path).set('Content-Type', 'application/json').send(body);
      expect([response.status, response.body.code]).toEqual([400, 'request.validation_failed']);
      expect(response.body.errors).toEqual([{ field: '(body)', message: 'must not nest objects or arrays more than 32 deep' }]);
    }
    expect(await countRows(server.db, 'tenants', {})).toBe(tenantsBefore);
  });

  it('answers a NUL in an authorization request with a 400 page, not a 500 or a redirect', async () => {
    const config = await discoverClient(server, tenant.environmentId, client);
    for (const param of ['state', 'nonce', 'login_hint', 'ui_locales']) {
      const start = await authorizationRequest(config, { [param]: 'a\u0000b' });
      const answer = await fetch(start.url, { redirect: 'manual' });
      expect({ param, status: answer.status }).toEqual({ param, status: 400 });
      expect(answer.headers.get('location')).toBeNull();
    }
    const unknownClient = new URL(`${issuerOf(server, tenant.environmentId)}/auth`);
    unknownClient.search = new URLSearchParams({ client_id: 'abc\u0000', response_type: 'code', scope: 'openid' }).toString();
    expect((await fetch(unknownClient, { redirect: 'manual' })).status).toBe(400);
  });

  it('answers a NUL in a client_secret_post client_id with invalid_client, not a 500', async () => {
    const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'abc\u0000', client_secret: 'x' }).toString(),
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('treats a NUL in the hosted login identifier as a failed sign-in', async () => {
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    const again = await browser.submit(login, { identifier: `${user.username}\u0000`, password: user.password });
    expect(again.status).toBe(401);
  });

  it('answers an oversized login form with 413, not a 500', async () => {
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    const again = await browser.submit(login, { identifier: 'x'.repeat(200_000), password: user.password });
    expect(again.status).toBe(413);
  });
});
