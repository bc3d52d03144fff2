import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { insertEnvironmentAccount } from '../../src/db/queries/environment-accounts.js';
import { insertTenantAccount } from '../../src/db/queries/tenant-accounts.js';
import {
  countRows,
  createClient,
  createTenant,
  signupBody,
  signupUser,
  unique,
  type TestClient,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A credential of tenant A never reaches tenant B's data: every id of B answers A exactly as a
 * missing id would (404), and nothing of B changes. Bad ids answer 400 on every route alike.
 */
describe('tenant isolation and id shapes across the API', () => {
  let server: TestServer;
  let a: TestTenant;
  let b: TestTenant;
  let bClient: TestClient;
  let bUser: TestUser;
  let snapshotOfB: () => Promise<Record<string, number>>;
  beforeAll(async () => {
    server = await startTestServer();
    a = await createTenant(server);
    b = await createTenant(server);
    bClient = await createClient(server, b);
    bUser = await signupUser(server, b.environmentId);
    snapshotOfB = async () => ({
      environments: await countRows(server.db, 'environments', { tenant_id: b.tenantId }),
      clients: await countRows(server.db, 'oidc_clients', { tenant_id: b.tenantId }),
      accounts: await countRows(server.db, 'environment_accounts', { tenant_id: b.tenantId }),
      tenantAccounts: await countRows(server.db, 'tenant_accounts', { tenant_id: b.tenantId }),
      keys: await countRows(server.db, 'signing_keys', { tenant_id: b.tenantId }),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers A’s cookie on B’s resources with the 404 of a missing one, and B is unchanged', async () => {
    const before = await snapshotOfB();
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, string, Record<string, unknown> | undefined, string]> = [
      ['get', `/api/v1/tenants/${b.tenantId}/environments/${b.environmentId}`, undefined, 'tenant.not_found'],
      ['get', `/api/v1/tenants/${a.tenantId}/environments/${b.environmentId}`, undefined, 'environment.not_found'],
      ['post', `/api/v1/tenants/${b.tenantId}/environments`, { name: `x-${unique()}` }, 'tenant.not_found'],
      ['post', `/api/v1/environments/${b.environmentId}/clients`, { name: 'x', redirectUris: ['https://x.example/cb'] }, 'environment.not_found'],
      ['get', `/api/v1/environments/${b.environmentId}/clients`, undefined, 'environment.not_found'],
      ['get', `/api/v1/environments/${b.environmentId}/clients/${bClient.clientId}`, undefined, 'environment.not_found'],
      ['get', `/api/v1/environments/${a.environmentId}/clients/${bClient.clientId}`, undefined, 'client.not_found'],
    ];
    for (const [method, path, body, code] of cases) {
      const call = (request(server.url) as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set('Cookie', a.cookie);
      const response = body ? await call.send(body) : await call;
      expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 404, code });
      // the same answer as for an id that exists nowhere
      const missingPath = path.replace(b.tenantId, missing).replace(b.environmentId, missing);
      if (missingPath !== path) {
        const other = (request(server.url) as unknown as Record<string, (p: string) => request.Test>)[method]!(missingPath).set('Cookie', a.cookie);
        const otherResponse = body ? await other.send(body) : await other;
        expect(otherResponse.body).toEqual(response.body);
      }
      expect(JSON.stringify(response.body)).not.toContain(b.tenantId);
    }
    expect(await snapshotOfB()).toEqual(before);
  });

  it('keeps sessions in their own tenant and environment', async () => {
    const tenantSession = await request(server.url).get(`/api/v1/auth/tenants/${b.tenantId}/session`).set('Cookie', a.cookie);
    expect(tenantSession.status).toBe(401);
    const envSession = await request(server.url)
      .get(`/api/v1/auth/environments/${a.environmentId}/session`)
      .set('Authorization', `Bearer ${bUser.sessionToken}`);
    expect(envSession.status).toBe(401);
    const login = await request(server.url)
      .post(`/api/v1/auth/environments/${a.environmentId}/login`)
      .send({ email: bUser.email, password: bUser.password });
    expect(login.status).toBe(401);
    // B's environment session is no admin credential for anyone
    const asAdmin = await request(server.url)
      .get(`/api/v1/environments/${b.environmentId}/clients`)
      .set('Cookie', `sump_session=${bUser.sessionToken}`);
    expect(asAdmin.status).toBe(401);
  });

  it('answers 400 request.invalid_id for a malformed id on every route (never 403 or 500, seed §6.12)', async () => {
    const routes: Array<[string, string, Record<string, unknown> | undefined]> = [
      ['post', '/api/v1/auth/tenants/123/login', { email: a.email, password: a.password }],
      ['get', '/api/v1/auth/tenants/123/session', undefined],
      ['post', '/api/v1/auth/tenants/123/logout', undefined],
      ['post', '/api/v1/tenants/123/environments', { name: 'valid name' }],
      ['get', `/api/v1/tenants/123/environments/${a.environmentId}`, undefined],
      ['get', `/api/v1/tenants/${a.tenantId}/environments/123`, undefined],
      ['post', '/api/v1/environments/123/clients', { name: 'x' }],
      ['get', '/api/v1/environments/123/clients', undefined],
      ['get', `/api/v1/environments/${a.environmentId}/clients/123`, undefined],
      ['post', '/api/v1/auth/environments/123/signup', signupBody()],
      ['post', '/api/v1/auth/environments/123/login', { email: 'a@b.co', password: 'x' }],
      ['post', '/api/v1/auth/environments/123/logout', undefined],
      ['get', '/api/v1/auth/environments/123/session', undefined],
    ];
    for (const [method, path, body] of routes) {
      const call = (request(server.url) as unknown as Record<string, (p: string) => request.Test>)[method]!(path)
        .set('Cookie', a.cookie)
        .set('Authorization', 'Bearer some-token');
      const response = body ? await call.send(body) : await call;
      expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 400, code: 'request.invalid_id' });
    }
  });

  it('maps a lost race on the unique indexes to 409 next to the query', async () => {
    const scope = { tenantId: a.tenantId, environmentId: a.environmentId };
    const id = unique();
    const account = {
      name: 'Racer',
      email: `Race-${id}@example.com`,
      emailNormalized: `race-${id}@example.com`,
      emailVerified: false,
      username: `race_${id}`,
      usernameNormalized: `race_${id}`,
      phone: null,
      avatarUrl: null,
      address: null,
      customProperties: {},
      passwordHash: null,
    };
    await insertEnvironmentAccount(server.db, scope, account);
    await expect(insertEnvironmentAccount(server.db, scope, { ...account, usernameNormalized: `other_${id}` })).rejects.toMatchObject({
      code: 'account.email_taken',
      status: 409,
    });
    await expect(insertEnvironmentAccount(server.db, scope, { ...account, emailNormalized: `other-${id}@example.com` })).rejects.toMatchObject({
      code: 'account.username_taken',
    });
    const tenantAccount = {
      name: 'Admin',
      email: account.email,
      emailNormalized: account.emailNormalized,
      username: account.username,
      usernameNormalized: account.usernameNormalized,
      phone: '+14155550123',
      avatarUrl: null,
      role: 'admin' as const,
      passwordHash: null,
    };
    await insertTenantAccount(server.db, { tenantId: a.tenantId }, tenantAccount);
    await expect(
      insertTenantAccount(server.db, { tenantId: a.tenantId }, { ...tenantAccount, emailNormalized: `x-${id}@e.com`, usernameNormalized: `x_${id}` }),
    ).rejects.toMatchObject({ code: 'account.phone_taken', status: 409 });
  });
});
