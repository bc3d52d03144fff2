import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DEFAULT_SETTINGS } from '../../src/services/environment-settings.js';
import {
  addTenantAccount,
  countRows,
  createEnvironment,
  signupUser,
  startServerWithTenants,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('environments: list, update, delete and custom properties', () => {
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

  const base = (tenantId = tenant.tenantId) => `/api/v1/tenants/${tenantId}/environments`;
  const call = (method: 'get' | 'patch' | 'delete', path: string, cookie: string = tenant.cookie) =>
    request(server.url)[method](path).set('Cookie', cookie);
  const row = (environmentId: string) => server.db('environments').where({ id: environmentId }).first();

  describe('GET /', () => {
    it('lists the tenant’s environments to every role, paginated, filtered by exact name', async () => {
      const created = [];
      for (let i = 0; i < 3; i += 1) created.push(await createEnvironment(server, tenant));
      const all = await call('get', `${base()}?limit=100`, user.cookie);
      expect(all.status).toBe(200);
      expect(all.body.nextCursor).toBeNull();
      const ids = all.body.items.map((item: { id: string }) => item.id);
      expect(ids).toEqual(expect.arrayContaining([tenant.environmentId, ...created.map((e) => e.id)]));
      expect(all.body.items.every((item: { tenantId: string }) => item.tenantId === tenant.tenantId)).toBe(true);
      expect(ids).not.toContain(other.environmentId);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await call('get', `${base()}?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.items).toHaveLength(1);
        seen.push(page.body.items[0].id);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids);

      const byName = await call('get', `${base()}?name=${encodeURIComponent(String(created[1]!.name))}`);
      expect(byName.status).toBe(200);
      expect(byName.body).toEqual({ items: [created[1]], nextCursor: null });
      const none = await call('get', `${base()}?name=nothing-${unique()}`);
      expect(none.body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=bogus', 'cursor'],
      ['colour=red', 'colour'],
    ])('refuses ?%s with 400', async (query, field) => {
      const response = await call('get', `${base()}?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('answers 404 for another tenant, 400 for a bad id, 401 without a session', async () => {
      const foreign = await call('get', base(other.tenantId));
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('tenant.not_found');
      expect((await call('get', base('nope'))).status).toBe(400);
      expect((await request(server.url).get(base())).status).toBe(401);
    });
  });

  describe('PATCH /:environmentId', () => {
    it('changes the name and custom properties, merges settings key by key, answers them resolved, and rebuilds the issuer', async () => {
      const environment = await createEnvironment(server, tenant);
      const path = `${base()}/${environment.id}`;
      const issuer = await server.sump.issuers.get(environment.id);
      const first = await call('patch', path).send({ settings: { branding: { displayName: 'Acme' }, sessions: { idleSeconds: 600 } } });
      expect(first.status).toBe(200);
      expect(first.body.settings).toEqual({
        ...DEFAULT_SETTINGS,
        branding: { ...DEFAULT_SETTINGS.branding, displayName: 'Acme' },
        sessions: { ...DEFAULT_SETTINGS.sessions, idleSeconds: 600 },
      });
      expect(await server.sump.issuers.get(environment.id)).not.toBe(issuer);
      const name = `renamed-${unique()}`;
      const second = await call('patch', path, admin.cookie).send({
        name,
        customProperties: { tier: 'gold' },
        settings: { branding: { primaryColor: '#112233' } },
      });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ id: environment.id, name, customProperties: { tier: 'gold' } });
      expect(second.body.settings.branding).toEqual({ displayName: 'Acme', logoUrl: null, primaryColor: '#112233' });
      expect(second.body.settings.sessions.idleSeconds).toBe(600);
      expect((await row(environment.id)).settings).toEqual({
        branding: { displayName: 'Acme', primaryColor: '#112233' },
        sessions: { idleSeconds: 600 },
      });
    });

    it.each([
      ['an empty body', {}, '(body)'],
      ['a 1-character name', { name: 'x' }, 'name'],
      ['an unknown field', { tenantId: MISSING }, 'tenantId'],
      ['an unknown settings group', { settings: { colours: {} } }, 'settings.colours'],
      ['a bad setting', { settings: { passwordPolicy: { minLength: 4 } } }, 'settings.passwordPolicy.minLength'],
      ['a non-https logo', { settings: { branding: { logoUrl: 'http://x.example/l.png' } } }, 'settings.branding.logoUrl'],
      ['customProperties as an array', { customProperties: [1] }, 'customProperties'],
      ['51 custom properties', { customProperties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'customProperties'],
    ])('refuses %s with 400 and changes nothing', async (_what, body, field) => {
      const environment = await createEnvironment(server, tenant);
      const before = await row(environment.id);
      const response = await call('patch', `${base()}/${environment.id}`).send(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await row(environment.id)).toEqual(before);
    });

    it('answers 409 for a name already in the tenant', async () => {
      const a = await createEnvironment(server, tenant);
      const b = await createEnvironment(server, tenant);
      const response = await call('patch', `${base()}/${b.id}`).send({ name: a.name });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'environment.name_taken', errors: [{ field: 'name' }] });
    });

    it('refuses a user (403) before reading the body, and another tenant’s environment (404), changing nothing', async () => {
      const environment = await createEnvironment(server, tenant);
      const forbidden = await call('patch', `${base()}/${environment.id}`, user.cookie).send({ bogus: 1 });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('auth.forbidden');
      const before = await row(other.environmentId);
      const crossed = await call('patch', `${base()}/${other.environmentId}`).send({ name: 'stolen' });
      expect(crossed.status).toBe(404);
      expect(crossed.body.code).toBe('environment.not_found');
      const foreign = await call('patch', `${base(other.tenantId)}/${other.environmentId}`).send({ name: 'stolen' });
      expect(foreign.status).toBe(404);
      expect(await row(other.environmentId)).toEqual(before);
      expect((await call('patch', `${base()}/${MISSING}`).send({ name: 'gone' })).status).toBe(404);
    });
  });

  describe('DELETE /:environmentId', () => {
    it('deletes the environment with its accounts, clients, keys and API sessions (204)', async () => {
      const environment = await createEnvironment(server, tenant);
      const person = await signupUser(server, environment.id);
      expect(await server.sump.issuers.get(environment.id)).toBeDefined();
      const response = await call('delete', `${base()}/${environment.id}`, admin.cookie);
      expect(response.status).toBe(204);
      expect(await countRows(server.db, 'environments', { id: environment.id })).toBe(0);
      expect(await countRows(server.db, 'environment_accounts', { environment_id: environment.id })).toBe(0);
      expect(await countRows(server.db, 'signing_keys', { environment_id: environment.id })).toBe(0);
      expect(await countRows(server.db, 'api_sessions', { account_id: person.accountId })).toBe(0);
      expect(await server.sump.issuers.get(environment.id)).toBeUndefined();
      expect((await request(server.url).get(`/oidc/${environment.id}/.well-known/openid-configuration`)).status).toBe(404);
      expect((await call('delete', `${base()}/${environment.id}`)).status).toBe(404);
    });

    it('refuses a user (403) and another tenant’s environment (404), deleting nothing', async () => {
      const environment = await createEnvironment(server, tenant);
      expect((await call('delete', `${base()}/${environment.id}`, user.cookie)).status).toBe(403);
      expect((await call('delete', `${base()}/${other.environmentId}`)).status).toBe(404);
      expect((await call('delete', `${base(other.tenantId)}/${other.environmentId}`)).status).toBe(404);
      expect(await countRows(server.db, 'environments', { id: environment.id })).toBe(1);
      expect(await countRows(server.db, 'environments', { id: other.environmentId })).toBe(1);
    });
  });

  describe('PATCH and DELETE /:environmentId/custom-property', () => {
    it('sets every key given (regression: only the first was kept), literally (regression: dotted keys were paths), and removes one', async () => {
      const environment = await createEnvironment(server, tenant, { customProperties: { keep: true, obj: { z: 1 } } });
      const path = `${base()}/${environment.id}/custom-property`;
      const set = await call('patch', path).send({ tier: 'gold', max_users: 100, 'obj.z': 2, 'a[0]': 'x' });
      expect(set.status).toBe(200);
      expect(set.body.customProperties).toEqual({ keep: true, obj: { z: 1 }, tier: 'gold', max_users: 100, 'obj.z': 2, 'a[0]': 'x' });
      expect((await row(environment.id)).custom_properties).toEqual(set.body.customProperties);
      const overwrite = await call('patch', path, admin.cookie).send({ max_users: 50 });
      expect(overwrite.body.customProperties.max_users).toBe(50);

      const removed = await call('delete', path).send({ customProperty: 'obj.z' });
      expect(removed.status).toBe(200);
      expect(removed.body.customProperties).toEqual({ keep: true, obj: { z: 1 }, tier: 'gold', max_users: 50, 'a[0]': 'x' });
      const missingKey = await call('delete', path).send({ customProperty: 'never-there' });
      expect(missingKey.status).toBe(200);
      expect((await row(environment.id)).custom_properties).toEqual(removed.body.customProperties);
    });

    it.each([
      ['patch', {}, '(body)'],
      ['patch', [1, 2], '(body)'],
      ['delete', {}, 'customProperty'],
      ['delete', { customProperty: 3 }, 'customProperty'],
      ['delete', { customProperty: 'a', more: 1 }, 'more'],
    ] as const)('%s refuses %j with 400', async (method, body, field) => {
      const response = await call(method, `${base()}/${tenant.environmentId}/custom-property`).send(body as object);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('keeps to 50 keys and 8 KB in all', async () => {
      const environment = await createEnvironment(server, tenant);
      const path = `${base()}/${environment.id}/custom-property`;
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
      expect((await call('patch', path).send(fifty)).status).toBe(200);
      expect((await call('patch', path).send({ one: 'more' })).status).toBe(400);
      const big = await createEnvironment(server, tenant);
      const tooBig = await call('patch', `${base()}/${big.id}/custom-property`).send({ blob: 'x'.repeat(8200) });
      expect(tooBig.status).toBe(400);
      expect((await row(big.id)).custom_properties).toEqual({});
    });

    it('answers 404 on a missing or foreign environment (regression: 204 and nothing done) and 403 to a user', async () => {
      const before = await row(other.environmentId);
      for (const path of [`${base()}/${MISSING}`, `${base()}/${other.environmentId}`, `${base(other.tenantId)}/${other.environmentId}`]) {
        expect((await call('patch', `${path}/custom-property`).send({ a: 1 })).status).toBe(404);
        expect((await call('delete', `${path}/custom-property`).send({ customProperty: 'a' })).status).toBe(404);
      }
      expect(await row(other.environmentId)).toEqual(before);
      const forbidden = await call('patch', `${base()}/${tenant.environmentId}/custom-property`, user.cookie).send({ a: 1 });
      expect(forbidden.status).toBe(403);
      expect((await call('delete', `${base()}/${tenant.environmentId}/custom-property`, user.cookie).send({ customProperty: 'a' })).status).toBe(403);
    });
  });
});
