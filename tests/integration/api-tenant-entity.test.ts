import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  addTenantAccount,
  countRows,
  createClient,
  createEnvironment,
  createTenant,
  signupUser,
  startServerWithTenants,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

describe('the tenant: GET / PATCH / DELETE /api/v1/tenants/:tenantId and …/custom-property', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  let admin: { cookie: string };
  let user: { cookie: string };
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
    admin = await addTenantAccount(server, tenant, 'admin');
    user = await addTenantAccount(server, tenant, 'user');
  });
  afterAll(async () => {
    await server.close();
  });

  const path = (tenantId: string, tail = '') => `/api/v1/tenants/${tenantId}${tail}`;
  const get = (cookie: string, tenantId = tenant.tenantId) => request(server.url).get(path(tenantId)).set('Cookie', cookie);
  const patch = (cookie: string, body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).patch(path(tenantId)).set('Cookie', cookie).send(body as object);
  const setProperties = (cookie: string, body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).patch(path(tenantId, '/custom-property')).set('Cookie', cookie).send(body as object);
  const deleteProperty = (cookie: string, body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).delete(path(tenantId, '/custom-property')).set('Cookie', cookie).send(body as object);
  const tenantRow = (tenantId = tenant.tenantId) => server.db('tenants').where({ id: tenantId }).first();

  describe('GET', () => {
    it('answers the tenant with its environments to every role', async () => {
      const environment = await createEnvironment(server, tenant);
      for (const cookie of [tenant.cookie, admin.cookie, user.cookie]) {
        const response = await get(cookie);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({
          id: tenant.tenantId,
          name: expect.stringMatching(/^Tenant /),
          customProperties: {},
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
        const ids = (response.body.environments as Array<{ id: string; tenantId: string }>).map((e) => e.id);
        expect(ids).toEqual([tenant.environmentId, environment.id]);
        expect(response.body.environments[0]).toMatchObject({ tenantId: tenant.tenantId, name: 'default' });
      }
    });

    it('answers 401 without a session, 400 for a malformed id, 404 for an unknown or another tenant', async () => {
      expect((await request(server.url).get(path(tenant.tenantId))).status).toBe(401);
      const malformed = await get(tenant.cookie, 'not-a-uuid');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.invalid_id');
      for (const tenantId of [NO_SUCH_ID, other.tenantId]) {
        const response = await get(tenant.cookie, tenantId);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('tenant.not_found');
      }
    });
  });

  describe('PATCH', () => {
    it('lets owners and admins rename the tenant and replace its customProperties; answers the entity', async () => {
      const renamed = await patch(tenant.cookie, { name: 'Renamed by owner' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ id: tenant.tenantId, name: 'Renamed by owner', environments: expect.any(Array) });
      const byAdmin = await patch(admin.cookie, { customProperties: { plan: 'pro' } });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toMatchObject({ name: 'Renamed by owner', customProperties: { plan: 'pro' } });
      expect(await tenantRow()).toMatchObject({ name: 'Renamed by owner', custom_properties: { plan: 'pro' } });
    });

    it('refuses a user (403) and changes nothing', async () => {
      const before = await tenantRow();
      const response = await patch(user.cookie, { name: 'By a user' });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('auth.forbidden');
      expect(await tenantRow()).toEqual(before);
    });

    it.each([
      ['an empty body', {}, '(body)'],
      ['a one-character name', { name: 'x' }, 'name'],
      ['a 256-character name', { name: 'x'.repeat(256) }, 'name'],
      ['customProperties as an array', { customProperties: [1] }, 'customProperties'],
      ['51 custom properties', { customProperties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'customProperties'],
      ['9 KB of custom properties', { customProperties: { big: 'x'.repeat(9000) } }, 'customProperties'],
      ['an unknown field (id)', { id: NO_SUCH_ID }, 'id'],
      ['an unknown field (createdAt)', { createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
    ])('refuses %s with a 400 naming the field', async (_label, body, field) => {
      const before = await tenantRow();
      const response = await patch(tenant.cookie, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await tenantRow()).toEqual(before);
    });

    it('answers 404 for another tenant, with nothing changed there', async () => {
      const before = await tenantRow(other.tenantId);
      const response = await patch(tenant.cookie, { name: 'Taken over' }, other.tenantId);
      expect(response.status).toBe(404);
      expect(await tenantRow(other.tenantId)).toEqual(before);
      expect((await patch(tenant.cookie, { name: 'Nobody' }, NO_SUCH_ID)).status).toBe(404);
    });
  });

  describe('PATCH …/custom-property', () => {
    it('merges every key given, keeps the others, and takes dotted keys literally', async () => {
      const fresh = await createTenant(server, { tenant: { customProperties: { keep: 1, replace: 'old' } } });
      const response = await setProperties(fresh.cookie, { replace: 'new', 'a.b': { c: [1] }, added: null }, fresh.tenantId);
      expect(response.status).toBe(200);
      expect(response.body.customProperties).toEqual({ keep: 1, replace: 'new', 'a.b': { c: [1] }, added: null });
      expect((await tenantRow(fresh.tenantId)).custom_properties).toEqual(response.body.customProperties);
    });

    it('keeps every merge of parallel requests', async () => {
      const fresh = await createTenant(server);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => setProperties(fresh.cookie, { [`key${i}`]: i }, fresh.tenantId)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
      expect(Object.keys((await tenantRow(fresh.tenantId)).custom_properties).sort()).toEqual(
        Array.from({ length: 8 }, (_, i) => `key${i}`).sort(),
      );
    });

    it('refuses an empty object, an array, and a merge past 50 keys or 8 KB (400), changing nothing', async () => {
      const fresh = await createTenant(server, {
        tenant: { customProperties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) },
      });
      const before = await tenantRow(fresh.tenantId);
      for (const body of [{}, [1, 2], { one: 'more' }]) {
        const response = await setProperties(fresh.cookie, body, fresh.tenantId);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('request.validation_failed');
      }
      const small = await createTenant(server);
      expect((await setProperties(small.cookie, { big: 'x'.repeat(9000) }, small.tenantId)).status).toBe(400);
      expect(await tenantRow(fresh.tenantId)).toEqual(before);
      // a key is 1 to 255 characters, as DELETE names it (regression: a 256-character key could be set, never removed)
      const smallBefore = await tenantRow(small.tenantId);
      for (const key of ['k'.repeat(256), '']) {
        const response = await setProperties(small.cookie, { [key]: 1 }, small.tenantId);
        expect([response.status, response.body.errors?.[0]?.message]).toEqual([400, 'keys must be 1 to 255 characters']);
      }
      expect(await tenantRow(small.tenantId)).toEqual(smallBefore);
      const longest = 'k'.repeat(255);
      expect((await setProperties(small.cookie, { [longest]: 1 }, small.tenantId)).status).toBe(200);
      const removed = await request(server.url)
        .delete(`/api/v1/tenants/${small.tenantId}/custom-property`)
        .set('Cookie', small.cookie)
        .set('Origin', server.url)
        .send({ customProperty: longest });
      expect([removed.status, removed.body.customProperties]).toEqual([200, {}]);
    });

    it('refuses a user (403), another tenant (404), and changes nothing', async () => {
      const before = await tenantRow();
      expect((await setProperties(user.cookie, { x: 1 })).status).toBe(403);
      const otherBefore = await tenantRow(other.tenantId);
      expect((await setProperties(tenant.cookie, { x: 1 }, other.tenantId)).status).toBe(404);
      expect(await tenantRow()).toEqual(before);
      expect(await tenantRow(other.tenantId)).toEqual(otherBefore);
      expect((await setProperties(admin.cookie, { byAdmin: true })).status).toBe(200);
    });
  });

  describe('DELETE …/custom-property', () => {
    it('removes the one key named, literally, and answers the entity', async () => {
      const fresh = await createTenant(server, { tenant: { customProperties: { 'a.b': 1, a: { b: 2 }, keep: 3 } } });
      const response = await deleteProperty(fresh.cookie, { customProperty: 'a.b' }, fresh.tenantId);
      expect(response.status).toBe(200);
      expect(response.body.customProperties).toEqual({ a: { b: 2 }, keep: 3 });
      const again = await deleteProperty(fresh.cookie, { customProperty: 'missing' }, fresh.tenantId);
      expect(again.status).toBe(200);
      expect((await tenantRow(fresh.tenantId)).custom_properties).toEqual({ a: { b: 2 }, keep: 3 });
    });

    it.each([
      ['no body', undefined],
      ['a missing customProperty', {}],
      ['an empty key', { customProperty: '' }],
      ['a key that is no string', { customProperty: 5 }],
      ['an unknown field', { customProperty: 'a', extra: 1 }],
    ])('refuses %s with a 400', async (_label, body) => {
      const call = request(server.url).delete(path(tenant.tenantId, '/custom-property')).set('Cookie', tenant.cookie);
      const response = body === undefined ? await call : await call.send(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
    });

    it('refuses a user (403) and another tenant (404)', async () => {
      await setProperties(tenant.cookie, { stays: true });
      expect((await deleteProperty(user.cookie, { customProperty: 'stays' })).status).toBe(403);
      await setProperties(other.cookie, { stays: true }, other.tenantId);
      expect((await deleteProperty(tenant.cookie, { customProperty: 'stays' }, other.tenantId)).status).toBe(404);
      expect((await tenantRow()).custom_properties.stays).toBe(true);
      expect((await tenantRow(other.tenantId)).custom_properties.stays).toBe(true);
    });
  });

  describe('DELETE', () => {
    it('is for owners only: admins and users get 403, another tenant 404, and nothing goes', async () => {
      expect((await request(server.url).delete(path(tenant.tenantId)).set('Cookie', admin.cookie)).status).toBe(403);
      expect((await request(server.url).delete(path(tenant.tenantId)).set('Cookie', user.cookie)).status).toBe(403);
      const response = await request(server.url).delete(path(other.tenantId)).set('Cookie', tenant.cookie);
      expect(response.status).toBe(404);
      expect(await tenantRow()).toBeDefined();
      expect(await tenantRow(other.tenantId)).toBeDefined();
      expect((await request(server.url).delete(path('nope')).set('Cookie', tenant.cookie)).status).toBe(400);
    });

    it('deletes the tenant and everything in it (204); its cookies answer 401 at once', async () => {
      const doomed = await createTenant(server);
      const second = await addTenantAccount(server, doomed, 'admin');
      const environment = await createEnvironment(server, doomed);
      await createClient(server, doomed);
      const endUser = await signupUser(server, doomed.environmentId);
      const discovery = await request(server.url).get(`/oidc/${doomed.environmentId}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);

      const response = await request(server.url).delete(path(doomed.tenantId)).set('Cookie', doomed.cookie);
      expect(response.status).toBe(204);
      for (const table of ['tenant_accounts', 'environments', 'environment_accounts', 'oidc_clients', 'signing_keys', 'api_sessions']) {
        expect(await countRows(server.db, table, { tenant_id: doomed.tenantId })).toBe(0);
      }
      expect(await tenantRow(doomed.tenantId)).toBeUndefined();
      for (const cookie of [doomed.cookie, second.cookie]) {
        expect((await request(server.url).get(`/api/v1/auth/tenants/${doomed.tenantId}/session`).set('Cookie', cookie)).status).toBe(401);
        expect((await get(cookie, doomed.tenantId)).status).toBe(401);
      }
      const envSession = await request(server.url)
        .get(`/api/v1/auth/environments/${environment.id}/session`)
        .set('Authorization', `Bearer ${endUser.sessionToken}`);
      expect(envSession.status).toBe(404);
      const gone = await request(server.url).get(`/oidc/${doomed.environmentId}/.well-known/openid-configuration`);
      expect(gone.status).toBe(404);
      // the other tenants are untouched
      expect((await get(tenant.cookie)).status).toBe(200);
      expect((await get(other.cookie, other.tenantId)).status).toBe(200);
    });
  });
});
