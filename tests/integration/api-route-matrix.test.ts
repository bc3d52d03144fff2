import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApiRouter } from '../../src/http/api/index.js';
import { createLogger } from '../../src/logger.js';
import { addTenantAccount, createClient, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Every route the API serves, read from the router itself, against the credentials that must
 * not get through: a credential of another tenant is a 404, a lower role a 403, and neither
 * changes anything. A route added later is in this matrix without anyone listing it.
 */

interface Route {
  readonly method: string;
  readonly path: string;
}

/** The tables that hold a tenant's data, and the columns that change by merely being used. */
const TENANT_TABLES = [
  'tenant_accounts',
  'environments',
  'environment_accounts',
  'oidc_clients',
  'api_resources',
  'api_keys',
  'signing_keys',
  'link_tokens',
  'mail_outbox',
  'audit_events',
  'oidc_artifacts',
] as const;
const USAGE_COLUMNS = new Set(['last_used_at']);

const owned = (route: Route) =>
  route.path.startsWith('/api/v1/tenants/:tenantId') || route.path.startsWith('/api/v1/environments/:environmentId');

describe('the route matrix: every tenant route refuses other tenants and lower roles', () => {
  let server: TestServer;
  let routes: Route[];
  let tenant: TestTenant;
  let other: TestTenant;
  let ids: Record<string, string>;
  let admin: { cookie: string };
  let user: { cookie: string };
  let readOnlyKey: string;
  let otherAdminKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    const router = createApiRouter({
      config: server.config,
      logger: createLogger(server.config),
      services: server.sump.services,
      issuers: server.sump.issuers,
    });
    routes = router.stack.flatMap((layer) =>
      layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method, path: String(layer.path) })),
    );

    tenant = await createTenant(server);
    other = await createTenant(server);
    admin = await addTenantAccount(server, tenant, 'admin');
    user = await addTenantAccount(server, tenant, 'user');
    const client = await createClient(server, tenant);
    const endUser = await signupUser(server, tenant.environmentId);
    const resource = await request(server.url)
      .post(`/api/v1/environments/${tenant.environmentId}/resources`)
      .set('Cookie', tenant.cookie)
      .send({ name: 'Orders', identifier: 'https://api.example.com/orders', scopes: ['orders:read'] });
    expect(resource.status).toBe(201);
    const key = async (owner: TestTenant, role: 'admin' | 'read-only') => {
      const response = await request(server.url)
        .post(`/api/v1/tenants/${owner.tenantId}/api-keys`)
        .set('Cookie', owner.cookie)
        .send({ name: `${role} key`, role });
      expect(response.status).toBe(201);
      return response.body as { id: string; key: string };
    };
    const readOnly = await key(tenant, 'read-only');
    readOnlyKey = readOnly.key;
    otherAdminKey = (await key(other, 'admin')).key;
    ids = {
      tenantId: tenant.tenantId,
      environmentId: tenant.environmentId,
      clientId: client.clientId,
      resourceId: resource.body.id as string,
      keyId: readOnly.id,
    };
    // An account id is the owner's under /tenants (acting on an owner needs to be an owner),
    // the end user's under /environments.
    ids.tenantAccountId = tenant.accountId;
    ids.environmentAccountId = endUser.accountId;
  });
  afterAll(async () => {
    await server.close();
  });

  function pathOf(route: Route): string {
    return route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const key = name === 'accountId' ? (route.path.startsWith('/api/v1/tenants') ? 'tenantAccountId' : 'environmentAccountId') : name;
      const value = ids[key];
      if (!value) throw new Error(`no value for :${name} in ${route.path}`);
      return value;
    });
  }

  function send(route: Route, credential: { cookie?: string; bearer?: string }, body: { type: string; text: string } = { type: 'application/json', text: '{}' }) {
    const agent = request(server.url);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
    let test = agent[method](pathOf(route));
    if (credential.cookie) test = test.set('Cookie', credential.cookie);
    if (credential.bearer) test = test.set('Authorization', `Bearer ${credential.bearer}`);
    return route.method === 'GET' ? test : test.set('Content-Type', body.type).send(body.text);
  }

  /** Tenant A's data, row by row, without what merely using a credential touches. */
  async function snapshot(): Promise<string> {
    const tables: Record<string, unknown[]> = {
      tenants: await server.db('tenants').where({ id: tenant.tenantId }),
    };
    for (const table of TENANT_TABLES) {
      const rows = (await server.db(table).where({ tenant_id: tenant.tenantId })) as Record<string, unknown>[];
      tables[table] = rows
        .map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !USAGE_COLUMNS.has(column))))
        .map((row) => JSON.stringify(row))
        .sort();
    }
    return JSON.stringify(tables);
  }

  async function expectEach(
    selected: Route[],
    credential: { cookie?: string; bearer?: string },
    status: number,
    body?: { type: string; text: string },
  ): Promise<void> {
    const before = await snapshot();
    const answers: string[] = [];
    for (const route of selected) {
      const response = await send(route, credential, body);
      const problem = /^application\/problem\+json/.test(response.headers['content-type'] ?? '');
      answers.push(`${route.method} ${route.path} → ${response.status} ${problem ? response.body.code : '(not a problem)'}`);
    }
    expect(answers.filter((answer) => !answer.includes(`→ ${status} `) || answer.endsWith('(not a problem)'))).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }

  it('serves the routes this matrix walks', () => {
    // Guards the matrix itself: if the router's stack stopped yielding routes, nothing below would test anything.
    expect(routes.filter(owned).length).toBeGreaterThan(50);
  });

  it("answers 404 to another tenant's owner session on every route, and changes nothing", async () => {
    await expectEach(routes.filter(owned), { cookie: other.cookie }, 404);
  });

  it("answers 404 to another tenant's admin API key on every route, and changes nothing", async () => {
    await expectEach(routes.filter(owned), { bearer: otherAdminKey }, 404);
  });

  const writes = (route: Route) => owned(route) && route.method !== 'GET';

  it('answers 403 to a tenant user on every write, and changes nothing', async () => {
    await expectEach(routes.filter(writes), { cookie: user.cookie }, 403);
  });

  it('answers 403 to a read-only API key on every write, and changes nothing', async () => {
    await expectEach(routes.filter(writes), { bearer: readOnlyKey }, 403);
  });

  it("answers 403 to an admin on what only owners do: deleting the tenant, acting on an owner's account", async () => {
    const ownerOnly = routes.filter(
      (route) =>
        (route.method === 'DELETE' && route.path === '/api/v1/tenants/:tenantId') ||
        (route.method !== 'GET' && route.path.startsWith('/api/v1/tenants/:tenantId/accounts/:accountId')),
    );
    expect(ownerOnly.length).toBeGreaterThan(5);
    await expectEach(ownerOnly, { cookie: admin.cookie }, 403);
  });

  // Logout ends the caller's own session whatever it is sent: it is left out; logout-all is in.
  const ownerWrites = (route: Route) => writes(route) || (route.method === 'POST' && route.path === '/api/v1/auth/tenants/:tenantId/logout-all');
  // Custom properties take any key: there no field is unknown.
  const fixedFieldWrites = (route: Route) => ownerWrites(route) && !(route.method === 'PATCH' && route.path.endsWith('/custom-property'));

  it('answers 415 to the owner sending a body that is not JSON on every write, bodiless ones included, and changes nothing', async () => {
    await expectEach(routes.filter(ownerWrites), { cookie: tenant.cookie }, 415, { type: 'text/plain', text: 'hello' });
  });

  it('answers 400 to the owner sending an unknown field on every write, bodiless ones included, and changes nothing', async () => {
    await expectEach(routes.filter(fixedFieldWrites), { cookie: tenant.cookie }, 400, { type: 'application/json', text: '{"confirm":true,"zzUnknown":1}' });
  });

  it('answers 401 to a request with no credential on every route, and changes nothing', async () => {
    await expectEach(routes.filter(owned), {}, 401);
  });
});
