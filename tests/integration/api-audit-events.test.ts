import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  addTenantAccount,
  countRows,
  createClient,
  createEnvironment,
  createTenant,
  DEFAULT_PASSWORD,
  signupUser,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface AuditItem {
  id: string;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string | null };
  ip: string | null;
}

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

/** GET /api/v1/tenants/:tenantId/audit-events: who changed what, when and from where. */
describe('the audit log', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const eventsPath = (tenantId: string) => `/api/v1/tenants/${tenantId}/audit-events`;

  /** Every event of the tenant, newest first, following the cursors. */
  async function allEvents(tenant: Pick<TestTenant, 'tenantId' | 'cookie'>): Promise<AuditItem[]> {
    const items: AuditItem[] = [];
    let cursor: string | null = null;
    do {
      const response: request.Response = await request(server.url)
        .get(eventsPath(tenant.tenantId))
        .query(cursor ? { limit: 100, cursor } : { limit: 100 })
        .set('Cookie', tenant.cookie);
      expect(response.status).toBe(200);
      items.push(...(response.body.items as AuditItem[]));
      cursor = response.body.nextCursor;
    } while (cursor);
    return items;
  }

  const actions = async (tenant: TestTenant) => (await allEvents(tenant)).map((item) => item.action);
  const auditCount = (tenant: TestTenant) => countRows(server.db, 'audit_events', { tenant_id: tenant.tenantId });

  it('records a sequence of API calls as exactly their actions, newest first, with actor, target and ip', async () => {
    const tenant = await createTenant(server);
    const api = () => request(server.url);
    const environment = await createEnvironment(server, tenant, { name: `staging-${unique()}` });
    const client = await createClient(server, tenant, {}, environment.id);
    const clientPath = `/api/v1/environments/${environment.id}/clients/${client.clientId}`;
    expect((await api().post(`${clientPath}/secret`).set('Cookie', tenant.cookie)).status).toBe(200);
    expect((await api().patch(clientPath).set('Cookie', tenant.cookie).send({ name: 'Renamed app' })).status).toBe(200);
    expect((await api().delete(clientPath).set('Cookie', tenant.cookie)).status).toBe(204);
    const login = await api().post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: tenant.email, password: tenant.password });
    expect(login.status).toBe(200);
    const failed = await api().post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: tenant.email, password: 'not the password' });
    expect(failed.status).toBe(401);

    const events = await allEvents(tenant);
    const owner = { type: 'tenant_account', id: tenant.accountId };
    const clientTarget = { type: 'client', id: client.clientId };
    expect(events.map(({ action, actor, target }) => ({ action, actor, target }))).toEqual([
      { action: 'tenant_account.signed_in', actor: owner, target: owner },
      { action: 'client.deleted', actor: owner, target: clientTarget },
      { action: 'client.updated', actor: owner, target: clientTarget },
      { action: 'client.secret_rotated', actor: owner, target: clientTarget },
      { action: 'client.created', actor: owner, target: clientTarget },
      { action: 'environment.created', actor: owner, target: { type: 'environment', id: environment.id } },
      { action: 'tenant.created', actor: owner, target: { type: 'tenant', id: tenant.tenantId } },
    ]);
    for (const event of events) {
      expect(event.ip).toMatch(LOOPBACK);
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(event).sort()).toEqual(['action', 'actor', 'at', 'id', 'ip', 'target']);
    }
    const times = events.map((event) => Date.parse(event.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('records every other kind of change with its dotted action', async () => {
    const tenant = await createTenant(server);
    const api = () => request(server.url);
    const as = <T extends request.Test>(test: T) => test.set('Cookie', tenant.cookie);
    const tenantPath = `/api/v1/tenants/${tenant.tenantId}`;
    const envPath = `${tenantPath}/environments/${tenant.environmentId}`;
    const expectOk = (response: request.Response, status = 200) => expect([response.status, response.body]).toEqual([status, expect.anything()]);

    expectOk(await as(api().patch(tenantPath)).send({ name: 'Renamed tenant' }));
    expectOk(await as(api().patch(`${tenantPath}/custom-property`)).send({ plan: 'pro' }));
    expectOk(await as(api().delete(`${tenantPath}/custom-property`)).send({ customProperty: 'plan' }));
    expectOk(await as(api().patch(envPath)).send({ name: `renamed-${unique()}` }));
    expectOk(await as(api().patch(`${envPath}/custom-property`)).send({ region: 'eu' }));
    expectOk(await as(api().delete(`${envPath}/custom-property`)).send({ customProperty: 'region' }));
    expectOk(await as(api().post(`/api/v1/environments/${tenant.environmentId}/keys/rotate`)));
    const resource = await as(api().post(`/api/v1/environments/${tenant.environmentId}/resources`)).send({
      identifier: `https://api-${unique()}.example.com`,
      name: 'Orders API',
    });
    expectOk(resource, 201);
    const resourcePath = `/api/v1/environments/${tenant.environmentId}/resources/${resource.body.id}`;
    expectOk(await as(api().patch(resourcePath)).send({ name: 'Orders' }));
    expect((await as(api().delete(resourcePath))).status).toBe(204);

    const id = unique();
    const account = await as(api().post(`${tenantPath}/accounts`)).send({
      name: 'Ada Admin',
      email: `ada-${id}@example.com`,
      username: `ada_${id}`,
      password: DEFAULT_PASSWORD,
      role: 'user',
    });
    expectOk(account, 201);
    const accountPath = `${tenantPath}/accounts/${account.body.id}`;
    expectOk(await as(api().patch(accountPath)).send({ name: 'Ada Lovelace' }));
    expectOk(await as(api().patch(`${accountPath}/role`)).send({ role: 'admin' }));
    expectOk(await as(api().patch(`${accountPath}/disable`)));
    expectOk(await as(api().patch(`${accountPath}/enable`)));
    expect((await as(api().delete(accountPath))).status).toBe(204);

    const user = await signupUser(server, tenant.environmentId);
    const userPath = `/api/v1/environments/${tenant.environmentId}/accounts/${user.accountId}`;
    expectOk(await as(api().patch(userPath)).send({ name: 'Grace B. Hopper' }));
    expectOk(await api().patch(userPath).set('Authorization', `Bearer ${user.sessionToken}`).send({ name: 'Grace' }));
    const changed = await api()
      .post(`/api/v1/auth/environments/${tenant.environmentId}/change-password`)
      .set('Authorization', `Bearer ${user.sessionToken}`)
      .send({ currentPassword: user.password, newPassword: `${DEFAULT_PASSWORD} 2` });
    expectOk(changed);
    expectOk(await as(api().patch(`${userPath}/disable`)));
    expectOk(await as(api().patch(`${userPath}/enable`)));
    expect((await as(api().delete(userPath))).status).toBe(204);

    const changedOwn = await as(api().post(`/api/v1/auth/tenants/${tenant.tenantId}/change-password`)).send({
      currentPassword: tenant.password,
      newPassword: `${DEFAULT_PASSWORD} 2`,
    });
    expectOk(changedOwn);
    const cookie = changedOwn.headers['set-cookie'] as unknown as string[];
    const fresh = { tenantId: tenant.tenantId, cookie: cookie.find((c) => c.startsWith('sump_session='))!.split(';')[0]! };
    expectOk(await api().post(`/api/v1/auth/tenants/${tenant.tenantId}/logout-all`).set('Cookie', fresh.cookie));
    const relogin = await api()
      .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
      .send({ email: tenant.email, password: `${DEFAULT_PASSWORD} 2` });
    expectOk(relogin);
    const reader = { tenantId: tenant.tenantId, cookie: (relogin.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]! };

    const events = (await allEvents(reader)).reverse();
    expect(events.map((event) => event.action)).toEqual([
      'tenant.created',
      'tenant.updated',
      'tenant.custom_property_set',
      'tenant.custom_property_removed',
      'environment.updated',
      'environment.custom_property_set',
      'environment.custom_property_removed',
      'keys.rotated',
      'resource.created',
      'resource.updated',
      'resource.deleted',
      'tenant_account.created',
      'tenant_account.updated',
      'tenant_account.role_changed',
      'tenant_account.disabled',
      'tenant_account.enabled',
      'tenant_account.deleted',
      'environment_account.created',
      'environment_account.updated',
      'environment_account.updated',
      'environment_account.password_changed',
      'environment_account.disabled',
      'environment_account.enabled',
      'environment_account.deleted',
      'tenant_account.password_changed',
      'session.logout_all',
      'tenant_account.signed_in',
    ]);
    const userRef = { type: 'environment_account', id: user.accountId };
    const owner = { type: 'tenant_account', id: tenant.accountId };
    // Signup and self-service: the end user acts; an admin's change: the admin.
    expect(events[17]).toMatchObject({ actor: userRef, target: userRef });
    expect(events[18]).toMatchObject({ actor: owner, target: userRef });
    expect(events[19]).toMatchObject({ actor: userRef, target: userRef });
    expect(events[20]).toMatchObject({ actor: userRef, target: userRef });
    expect(events[21]).toMatchObject({ actor: owner, target: userRef });
    expect(events[11]).toMatchObject({ actor: owner, target: { type: 'tenant_account', id: account.body.id } });
    expect(events[25]).toMatchObject({ actor: owner, target: owner });
    expect(events.every((event) => LOOPBACK.test(event.ip ?? ''))).toBe(true);
  });

  it('records nothing for a refused request (400, 403, 404, 409)', async () => {
    const tenant = await createTenant(server);
    const other = await createTenant(server);
    const user = await addTenantAccount(server, tenant, 'user');
    const before = await auditCount(tenant);
    const otherBefore = await auditCount(other);
    const api = () => request(server.url);
    const envPath = `/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`;

    expect((await api().patch(envPath).set('Cookie', tenant.cookie).send({ unknown: true })).status).toBe(400);
    expect((await api().patch(envPath).set('Cookie', user.cookie).send({ name: 'nope' })).status).toBe(403);
    expect((await api().post(`/api/v1/tenants/${tenant.tenantId}/environments`).set('Cookie', user.cookie).send({ name: 'x' })).status).toBe(403);
    const otherEnv = `/api/v1/tenants/${other.tenantId}/environments/${other.environmentId}`;
    expect((await api().patch(otherEnv).set('Cookie', tenant.cookie).send({ name: 'mine now' })).status).toBe(404);
    expect((await api().delete(`/api/v1/tenants/${other.tenantId}`).set('Cookie', tenant.cookie)).status).toBe(404);
    expect((await api().patch('/api/v1/tenants/not-a-uuid').set('Cookie', tenant.cookie).send({ name: 'x' })).status).toBe(400);
    const missingClient = `/api/v1/environments/${tenant.environmentId}/clients/${'a'.repeat(24)}`;
    expect((await api().delete(missingClient).set('Cookie', tenant.cookie)).status).toBe(404);
    const taken = await api()
      .post(`/api/v1/tenants/${tenant.tenantId}/accounts`)
      .set('Cookie', tenant.cookie)
      .send({ name: 'Dup', email: tenant.email, username: `dup_${unique()}`, password: DEFAULT_PASSWORD });
    expect(taken.status).toBe(409);
    const failedLogin = await api().post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: tenant.email, password: 'wrong password' });
    expect(failedLogin.status).toBe(401);

    expect(await auditCount(tenant)).toBe(before);
    expect(await auditCount(other)).toBe(otherBefore);
  });

  it('pages newest first with ?limit and ?cursor, and refuses a bad limit or cursor', async () => {
    const tenant = await createTenant(server);
    for (let index = 0; index < 4; index += 1) {
      const response = await request(server.url).patch(`/api/v1/tenants/${tenant.tenantId}`).set('Cookie', tenant.cookie).send({ name: `Name ${index}` });
      expect(response.status).toBe(200);
    }
    const all = await allEvents(tenant);
    expect(all).toHaveLength(5);

    const seen: AuditItem[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const response: request.Response = await request(server.url)
        .get(eventsPath(tenant.tenantId))
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set('Cookie', tenant.cookie);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);

    const defaults = await request(server.url).get(eventsPath(tenant.tenantId)).set('Cookie', tenant.cookie);
    expect(defaults.status).toBe(200);
    expect(defaults.body).toEqual({ items: all, nextCursor: null });

    for (const query of [{ limit: 0 }, { limit: 101 }, { limit: 'ten' }, { cursor: 'not-a-cursor' }, { since: 'yesterday' }]) {
      const response = await request(server.url).get(eventsPath(tenant.tenantId)).query(query).set('Cookie', tenant.cookie);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
    }
  });

  it('answers owners and admins, refuses users (403), other tenants (404), no credential (401), a bad id (400)', async () => {
    const tenant = await createTenant(server);
    const other = await createTenant(server);
    const admin = await addTenantAccount(server, tenant, 'admin');
    const user = await addTenantAccount(server, tenant, 'user');
    const get = (path: string, cookie?: string) => {
      const test = request(server.url).get(path);
      return cookie ? test.set('Cookie', cookie) : test;
    };

    const asAdmin = await get(eventsPath(tenant.tenantId), admin.cookie);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.items.map((item: AuditItem) => item.action)).toEqual([
      'tenant_account.signed_in',
      'tenant_account.created',
      'tenant_account.signed_in',
      'tenant_account.created',
      'tenant.created',
    ]);

    const asUser = await get(eventsPath(tenant.tenantId), user.cookie);
    expect([asUser.status, asUser.body.code]).toEqual([403, 'auth.forbidden']);
    const elsewhere = await get(eventsPath(other.tenantId), tenant.cookie);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([404, 'tenant.not_found']);
    expect((await get(eventsPath(tenant.tenantId))).status).toBe(401);
    expect((await get(eventsPath('not-a-uuid'), tenant.cookie)).status).toBe(400);
  });

  it("keeps each tenant's log to itself", async () => {
    const tenant = await createTenant(server);
    const other = await createTenant(server);
    await createEnvironment(server, tenant, { name: `isolated-${unique()}` });
    expect(await actions(other)).toEqual(['tenant.created']);
    const mine = await allEvents(tenant);
    expect(mine.map((item) => item.action)).toEqual(['environment.created', 'tenant.created']);
    const theirs = await allEvents(other);
    expect(theirs.every((item) => item.actor.id === other.accountId)).toBe(true);
    expect(mine.some((item) => theirs.some((their) => their.id === item.id))).toBe(false);
  });

  it('records the deletion of an environment', async () => {
    const tenant = await createTenant(server);
    const environment = await createEnvironment(server, tenant, { name: `short-lived-${unique()}` });
    const path = `/api/v1/tenants/${tenant.tenantId}/environments/${environment.id}`;
    expect((await request(server.url).delete(path).set('Cookie', tenant.cookie)).status).toBe(204);
    const [latest] = await allEvents(tenant);
    expect(latest).toMatchObject({
      action: 'environment.deleted',
      actor: { type: 'tenant_account', id: tenant.accountId },
      target: { type: 'environment', id: environment.id },
    });
  });

  it('names an API key as the actor of what it does, and records its creation and revocation', async () => {
    const tenant = await createTenant(server);
    const keysPath = `/api/v1/tenants/${tenant.tenantId}/api-keys`;
    const created = await request(server.url).post(keysPath).set('Cookie', tenant.cookie).send({ name: 'deploy script', role: 'admin' });
    expect(created.status).toBe(201);
    const environment = await request(server.url)
      .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
      .set('Authorization', `Bearer ${created.body.key}`)
      .send({ name: `from-a-key-${unique()}` });
    expect(environment.status).toBe(201);
    expect((await request(server.url).delete(`${keysPath}/${created.body.id}`).set('Cookie', tenant.cookie)).status).toBe(204);

    const owner = { type: 'tenant_account', id: tenant.accountId };
    const key = { type: 'api_key', id: created.body.id };
    const [revoked, byKey, made] = await allEvents(tenant);
    expect(made).toMatchObject({ action: 'api_key.created', actor: owner, target: key });
    expect(byKey).toMatchObject({ action: 'environment.created', actor: key, target: { type: 'environment', id: environment.body.id } });
    expect(revoked).toMatchObject({ action: 'api_key.revoked', actor: owner, target: key });
  });

  it('records a password reset through a link as anonymous, on the account, and a refused token as nothing', async () => {
    const tenant = await createTenant(server);
    const owner = { tenantId: tenant.tenantId, environmentId: null, accountType: 'tenant_account' as const, accountId: tenant.accountId };
    const { token } = await server.sump.services.linkTokens.issue(server.db, owner, 'reset_password');
    const resetPath = `/api/v1/auth/tenants/${tenant.tenantId}/reset-password`;
    const before = await auditCount(tenant);
    expect((await request(server.url).post(resetPath).send({ token: 'not-a-token', newPassword: `${DEFAULT_PASSWORD} 3` })).status).toBe(400);
    expect(await auditCount(tenant)).toBe(before);
    expect((await request(server.url).post(resetPath).send({ token, newPassword: `${DEFAULT_PASSWORD} 3` })).status).toBe(200);

    const login = await request(server.url)
      .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
      .send({ email: tenant.email, password: `${DEFAULT_PASSWORD} 3` });
    expect(login.status).toBe(200);
    const [signedIn, reset] = await allEvents({ tenantId: tenant.tenantId, cookie: (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]! });
    expect(signedIn?.action).toBe('tenant_account.signed_in');
    expect(reset).toMatchObject({
      action: 'tenant_account.password_reset',
      actor: { type: 'anonymous', id: null },
      target: { type: 'tenant_account', id: tenant.accountId },
    });
    expect(reset?.ip).toMatch(LOOPBACK);
  });

  it('goes with its tenant: deleting the tenant leaves none of its events', async () => {
    const tenant = await createTenant(server);
    expect(await auditCount(tenant)).toBe(1);
    expect((await request(server.url).delete(`/api/v1/tenants/${tenant.tenantId}`).set('Cookie', tenant.cookie)).status).toBe(204);
    expect(await auditCount(tenant)).toBe(0);
  });
});
