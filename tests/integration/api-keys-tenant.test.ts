import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { addTenantAccount, allStrings, countRows, signupUser, startServerWithTenants, unique, type TestTenant } from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

/** Tenant API keys (DESIGN.md, "Tenant API keys for scripts" and the roles table). */
describe('tenant API keys', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const base = (tenantId = tenant.tenantId) => `/api/v1/tenants/${tenantId}/api-keys`;
  const create = (body: object, cookie = tenant.cookie, tenantId = tenant.tenantId) =>
    request(server.url).post(base(tenantId)).set('Cookie', cookie).send(body);
  /** A new key made through `cookie`; answers the key itself and its id. */
  async function newKey(role: 'admin' | 'read-only', cookie = tenant.cookie, tenantId = tenant.tenantId) {
    const response = await create({ name: `key ${unique()}`, role }, cookie, tenantId);
    if (response.status !== 201) throw new Error(`newKey: ${response.status} ${JSON.stringify(response.body)}`);
    return { key: response.body.key as string, id: response.body.id as string };
  }
  const bearer = (key: string) => `Bearer ${key}`;
  const createEnvironmentWith = (key: string, tenantId = tenant.tenantId) =>
    request(server.url).post(`/api/v1/tenants/${tenantId}/environments`).set('Authorization', bearer(key)).send({ name: `env-${unique()}` });
  const readTenantWith = (key: string, tenantId = tenant.tenantId) =>
    request(server.url).get(`/api/v1/tenants/${tenantId}`).set('Authorization', bearer(key));

  describe('create, list, delete', () => {
    it("lets an admin revoke their own keys and those of users, never an owner's (403, the key still works)", async () => {
      const admin = await addTenantAccount(server, tenant, 'admin');
      const ownersKey = await newKey('read-only');
      const adminsKey = await newKey('read-only', admin.cookie);
      const revoke = (id: string, cookie: string) =>
        request(server.url).delete(`/api/v1/tenants/${tenant.tenantId}/api-keys/${id}`).set('Cookie', cookie).set('Origin', server.url);
      const refused = await revoke(ownersKey.id, admin.cookie);
      expect([refused.status, refused.body.code]).toEqual([403, 'auth.forbidden']);
      expect((await readTenantWith(ownersKey.key)).status).toBe(200);
      expect((await revoke(adminsKey.id, admin.cookie)).status).toBe(204);
      expect((await revoke(ownersKey.id, tenant.cookie)).status).toBe(204);
      expect((await readTenantWith(ownersKey.key)).status).toBe(401);
    });

    it('answers 201 with the key once, no-store, and keeps only its SHA-256', async () => {
      const response = await create({ name: '  Deploy script ', role: 'admin' });
      expect(response.status).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      const key = response.body.key as string;
      expect(key).toMatch(/^sump_[A-Za-z0-9_-]{43}$/);
      expect(response.body).toEqual({
        id: expect.any(String),
        name: 'Deploy script',
        role: 'admin',
        keyPrefix: key.slice(0, 8),
        createdBy: tenant.accountId,
        expiresAt: null,
        lastUsedAt: null,
        createdAt: expect.any(String),
        key,
      });
      const row = await server.db('api_keys').where({ tenant_id: tenant.tenantId, id: response.body.id }).first();
      expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
      expect(row.key_prefix).toBe(key.slice(0, 8));
      expect(Object.values(row).map(String)).not.toContain(key);

      const list = await request(server.url).get(base()).set('Cookie', tenant.cookie);
      expect(list.status).toBe(200);
      expect(list.body.nextCursor).toBeNull();
      const item = list.body.items.find((entry: { id: string }) => entry.id === response.body.id);
      expect(item).toEqual({ ...response.body, key: undefined });
      expect(allStrings(list.body)).not.toContain(key);
      expect(allStrings(list.body)).not.toContain(row.key_hash);
      expect(Object.keys(item)).not.toContain('key');
    });

    it('keeps a future expiresAt and pages the list', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const created = await create({ name: 'Nightly', role: 'read-only', expiresAt });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ role: 'read-only', expiresAt });
      await newKey('read-only');
      const first = await request(server.url).get(`${base()}?limit=1`).set('Cookie', tenant.cookie);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await request(server.url).get(`${base()}?limit=1&cursor=${first.body.nextCursor}`).set('Cookie', tenant.cookie);
      expect(second.status).toBe(200);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      expect((await request(server.url).get(`${base()}?limit=0`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(`${base()}?cursor=nope`).set('Cookie', tenant.cookie)).status).toBe(400);
    });

    it.each([
      ['no name', { role: 'admin' }, 'name'],
      ['an empty name', { name: '   ', role: 'admin' }, 'name'],
      ['a name of 101 characters', { name: 'x'.repeat(101), role: 'admin' }, 'name'],
      ['no role', { name: 'k' }, 'role'],
      ['role owner', { name: 'k', role: 'owner' }, 'role'],
      ['role user', { name: 'k', role: 'user' }, 'role'],
      ['expiresAt in the past', { name: 'k', role: 'admin', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      ['expiresAt not a date-time', { name: 'k', role: 'admin', expiresAt: 'tomorrow' }, 'expiresAt'],
      ['expiresAt a number', { name: 'k', role: 'admin', expiresAt: 1_900_000_000 }, 'expiresAt'],
      ['an unknown field', { name: 'k', role: 'admin', keyHash: 'x' }, 'keyHash'],
    ])('refuses %s with 400 naming the field, making no key', async (_what, body, field) => {
      const before = await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId });
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId })).toBe(before);
    });

    it('refuses a body that is not JSON (415) and malformed JSON (400)', async () => {
      const text = await request(server.url).post(base()).set('Cookie', tenant.cookie).set('Content-Type', 'text/plain').send('name=k');
      expect(text.status).toBe(415);
      const malformed = await request(server.url).post(base()).set('Cookie', tenant.cookie).set('Content-Type', 'application/json').send('{"name":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.malformed_json');
    });

    it('answers 401 without a credential, 400 for a bad id, 404 for another tenant or an unknown key', async () => {
      expect((await request(server.url).get(base())).status).toBe(401);
      expect((await request(server.url).post(base()).send({ name: 'k', role: 'admin' })).status).toBe(401);
      expect((await request(server.url).get(base('not-a-uuid')).set('Cookie', tenant.cookie)).status).toBe(400);
      const badKeyId = await request(server.url).delete(`${base()}/not-a-uuid`).set('Cookie', tenant.cookie);
      expect(badKeyId.status).toBe(400);
      expect(badKeyId.body.code).toBe('request.invalid_id');
      const unknown = await request(server.url).delete(`${base()}/00000000-0000-4000-8000-000000000000`).set('Cookie', tenant.cookie);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('api_key.not_found');

      const mine = await newKey('admin');
      // Another tenant's owner: 404 for list, create and delete, and the key stays.
      expect((await request(server.url).get(base()).set('Cookie', other.cookie)).status).toBe(404);
      expect((await create({ name: 'k', role: 'admin' }, other.cookie)).status).toBe(404);
      expect((await request(server.url).delete(`${base()}/${mine.id}`).set('Cookie', other.cookie)).status).toBe(404);
      // Its own tenant's path does not find this tenant's key either.
      expect((await request(server.url).delete(`${base(other.tenantId)}/${mine.id}`).set('Cookie', other.cookie)).status).toBe(404);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, id: mine.id })).toBe(1);
    });

    it('lets owners and admins manage keys and refuses a user (403)', async () => {
      const admin = await addTenantAccount(server, tenant, 'admin');
      const user = await addTenantAccount(server, tenant, 'user');
      const made = await newKey('read-only', admin.cookie);
      expect((await request(server.url).get(base()).set('Cookie', admin.cookie)).status).toBe(200);

      const refused = await create({ name: 'k', role: 'read-only' }, user.cookie);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('auth.forbidden');
      expect((await request(server.url).get(base()).set('Cookie', user.cookie)).status).toBe(403);
      expect((await request(server.url).delete(`${base()}/${made.id}`).set('Cookie', user.cookie)).status).toBe(403);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, id: made.id })).toBe(1);

      // An owner revokes an admin's key: 204, and it is gone.
      expect((await request(server.url).delete(`${base()}/${made.id}`).set('Cookie', tenant.cookie)).status).toBe(204);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, id: made.id })).toBe(0);
    });
  });

  describe('authenticating with a key', () => {
    it('lets a read-only key read but not write (403), and records when it was used', async () => {
      const { key, id } = await newKey('read-only');
      const read = await readTenantWith(key);
      expect(read.status).toBe(200);
      expect(read.body.id).toBe(tenant.tenantId);
      expect((await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/environments`).set('Authorization', bearer(key))).status).toBe(200);
      const write = await createEnvironmentWith(key);
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('auth.forbidden');
      const row = await server.db('api_keys').where({ tenant_id: tenant.tenantId, id }).first();
      expect(row.last_used_at).not.toBeNull();

      // Used again at once: last_used_at is not rewritten within the minute.
      await server.db('api_keys').where({ tenant_id: tenant.tenantId, id }).update({ last_used_at: new Date(Date.now() - 30_000) });
      const before = (await server.db('api_keys').where({ id }).first()).last_used_at as Date;
      await readTenantWith(key);
      expect(((await server.db('api_keys').where({ id }).first()).last_used_at as Date).getTime()).toBe(new Date(before).getTime());
      await server.db('api_keys').where({ tenant_id: tenant.tenantId, id }).update({ last_used_at: new Date(Date.now() - 120_000) });
      await readTenantWith(key);
      const touched = (await server.db('api_keys').where({ id }).first()).last_used_at as Date;
      expect(Date.now() - new Date(touched).getTime()).toBeLessThan(30_000);
    });

    it('does not let a read-only key act on its creator’s own account', async () => {
      const creator = await addTenantAccount(server, tenant, 'admin');
      const { key } = await newKey('read-only', creator.cookie);
      const accountPath = `/api/v1/tenants/${tenant.tenantId}/accounts/${creator.accountId}`;
      const renamed = await request(server.url).patch(accountPath).set('Authorization', bearer(key)).send({ name: 'Renamed by a key' });
      expect(renamed.status).toBe(403);
      expect((await request(server.url).delete(accountPath).set('Authorization', bearer(key))).status).toBe(403);
      const row = await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: creator.accountId }).first();
      expect(row.name).toBe('A admin');
    });

    it('does not let an admin key of an owner act as that owner on itself', async () => {
      const owner = await addTenantAccount(server, tenant, 'owner');
      const { key } = await newKey('admin', owner.cookie);
      const accountPath = `/api/v1/tenants/${tenant.tenantId}/accounts/${owner.accountId}`;
      expect((await request(server.url).patch(`${accountPath}/role`).set('Authorization', bearer(key)).send({ role: 'user' })).status).toBe(403);
      expect((await request(server.url).delete(accountPath).set('Authorization', bearer(key))).status).toBe(403);
      expect((await server.db('tenant_accounts').where({ id: owner.accountId }).first()).role).toBe('owner');
    });

    it('lets an admin key write, with no Content-Type or origin checks of cookies', async () => {
      const { key } = await newKey('admin');
      const created = await createEnvironmentWith(key);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ tenantId: tenant.tenantId });
      const crossSite = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Authorization', bearer(key))
        .set('Origin', 'https://evil.example')
        .set('Sec-Fetch-Site', 'cross-site')
        .send({ name: `env-${unique()}` });
      expect(crossSite.status).toBe(201);
      // The same request with the owner's cookie is refused: the check is the cookie's.
      const cookie = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Cookie', tenant.cookie)
        .set('Origin', 'https://evil.example')
        .send({ name: `env-${unique()}` });
      expect(cookie.status).toBe(403);
      // A body must still be JSON to be read.
      const text = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Authorization', bearer(key))
        .set('Content-Type', 'text/plain')
        .send('name=x');
      expect(text.status).toBe(415);
    });

    it('lets an admin key manage environment accounts, and environment sessions keep working', async () => {
      const { key } = await newKey('admin');
      const user = await signupUser(server, tenant.environmentId);
      const accounts = `/api/v1/environments/${tenant.environmentId}/accounts`;
      const list = await request(server.url).get(accounts).set('Authorization', bearer(key)).set('Origin', 'https://evil.example');
      expect(list.status).toBe(200);
      const patched = await request(server.url)
        .patch(`${accounts}/${user.accountId}`)
        .set('Authorization', bearer(key))
        .set('Origin', 'https://evil.example')
        .send({ name: 'Changed by a key' });
      expect(patched.status).toBe(200);
      expect(patched.body.name).toBe('Changed by a key');
      const self = await request(server.url).get(`${accounts}/${user.accountId}`).set('Authorization', bearer(user.sessionToken!));
      expect(self.status).toBe(200);
      // A read-only key reads, writes nothing; another tenant's key is a 404.
      const reader = await newKey('read-only');
      expect((await request(server.url).get(accounts).set('Authorization', bearer(reader.key))).status).toBe(200);
      expect((await request(server.url).delete(`${accounts}/${user.accountId}`).set('Authorization', bearer(reader.key))).status).toBe(403);
      const foreign = await newKey('admin', other.cookie, other.tenantId);
      expect((await request(server.url).get(accounts).set('Authorization', bearer(foreign.key))).status).toBe(404);
      expect(await countRows(server.db, 'environment_accounts', { id: user.accountId })).toBe(1);
      // A revoked key there is a 401.
      await request(server.url).delete(`${base()}/${reader.id}`).set('Cookie', tenant.cookie);
      expect((await request(server.url).get(accounts).set('Authorization', bearer(reader.key))).status).toBe(401);
    });

    it('never lets a key make or revoke keys (403)', async () => {
      const admin = await newKey('admin');
      const reader = await newKey('read-only');
      const made = await request(server.url).post(base()).set('Authorization', bearer(admin.key)).send({ name: 'k', role: 'read-only' });
      expect(made.status).toBe(403);
      expect(made.body.code).toBe('auth.session_required');
      const revoked = await request(server.url).delete(`${base()}/${reader.id}`).set('Authorization', bearer(admin.key));
      expect(revoked.status).toBe(403);
      expect(revoked.body.code).toBe('auth.session_required');
      const self = await request(server.url).delete(`${base()}/${admin.id}`).set('Authorization', bearer(admin.key));
      expect(self.status).toBe(403);
      expect((await request(server.url).post(base()).set('Authorization', bearer(reader.key)).send({ name: 'k', role: 'read-only' })).status).toBe(403);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, id: reader.id })).toBe(1);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, name: 'k', role: 'read-only' })).toBe(0);
      // An admin key may list them (as an admin), a read-only one may not.
      expect((await request(server.url).get(base()).set('Authorization', bearer(admin.key))).status).toBe(200);
      expect((await request(server.url).get(base()).set('Authorization', bearer(reader.key))).status).toBe(403);
    });

    it('narrows an admin key to read-only when its creator is demoted (owner → user)', async () => {
      const creator = await addTenantAccount(server, tenant, 'owner');
      const { key } = await newKey('admin', creator.cookie);
      expect((await createEnvironmentWith(key)).status).toBe(201);
      const demoted = await request(server.url)
        .patch(`/api/v1/tenants/${tenant.tenantId}/accounts/${creator.accountId}/role`)
        .set('Cookie', tenant.cookie)
        .send({ role: 'user' });
      expect(demoted.status).toBe(200);
      const write = await createEnvironmentWith(key);
      expect(write.status).toBe(403);
      expect((await readTenantWith(key)).status).toBe(200);
      expect((await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/accounts`).set('Authorization', bearer(key))).status).toBe(200);
    });

    it('ends a key when its creator is disabled (401)', async () => {
      const creator = await addTenantAccount(server, tenant, 'admin');
      const { key } = await newKey('admin', creator.cookie);
      expect((await readTenantWith(key)).status).toBe(200);
      const accountPath = `/api/v1/tenants/${tenant.tenantId}/accounts/${creator.accountId}`;
      expect((await request(server.url).patch(`${accountPath}/disable`).set('Cookie', tenant.cookie)).status).toBe(200);
      const refused = await readTenantWith(key);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('auth.unauthenticated');
      expect((await createEnvironmentWith(key)).status).toBe(401);
      // ended for good: enabling the creator again does not bring the key back (regression: it did)
      expect((await request(server.url).patch(`${accountPath}/enable`).set('Cookie', tenant.cookie)).status).toBe(200);
      expect((await readTenantWith(key)).status).toBe(401);
      expect(await server.db('api_keys').where({ tenant_id: tenant.tenantId, created_by: creator.accountId })).toEqual([]);
    });

    it('ends a key when its creator is deleted (401)', async () => {
      const creator = await addTenantAccount(server, tenant, 'admin');
      const { key, id } = await newKey('admin', creator.cookie);
      expect((await readTenantWith(key)).status).toBe(200);
      const deleted = await request(server.url)
        .delete(`/api/v1/tenants/${tenant.tenantId}/accounts/${creator.accountId}`)
        .set('Cookie', tenant.cookie);
      expect(deleted.status).toBe(204);
      expect((await readTenantWith(key)).status).toBe(401);
      expect(await countRows(server.db, 'api_keys', { tenant_id: tenant.tenantId, id })).toBe(0);
    });

    it('refuses an expired key and a revoked key (401)', async () => {
      const expiring = await newKey('admin');
      expect((await readTenantWith(expiring.key)).status).toBe(200);
      await server.db('api_keys').where({ tenant_id: tenant.tenantId, id: expiring.id }).update({ expires_at: new Date(Date.now() - 1000) });
      expect((await readTenantWith(expiring.key)).status).toBe(401);
      expect((await createEnvironmentWith(expiring.key)).status).toBe(401);

      const revoked = await newKey('admin');
      expect((await request(server.url).delete(`${base()}/${revoked.id}`).set('Cookie', tenant.cookie)).status).toBe(204);
      expect((await readTenantWith(revoked.key)).status).toBe(401);
      expect((await readTenantWith(`sump_${'A'.repeat(43)}`)).status).toBe(401);
    });

    it('keeps a key of one tenant out of another (404), changing nothing', async () => {
      const foreign = await newKey('admin', other.cookie, other.tenantId);
      expect((await readTenantWith(foreign.key)).status).toBe(404);
      const write = await createEnvironmentWith(foreign.key);
      expect(write.status).toBe(404);
      expect(write.body.code).toBe('tenant.not_found');
      expect((await request(server.url).get(`/api/v1/environments/${tenant.environmentId}/clients`).set('Authorization', bearer(foreign.key))).status).toBe(404);
      expect((await request(server.url).get(base()).set('Authorization', bearer(foreign.key))).status).toBe(404);
      expect((await request(server.url).patch(`/api/v1/tenants/${tenant.tenantId}`).set('Authorization', bearer(foreign.key)).send({ name: 'Taken' })).status).toBe(404);
      expect((await server.db('tenants').where({ id: tenant.tenantId }).first()).name).not.toBe('Taken');
      // In its own tenant it works.
      expect((await readTenantWith(foreign.key, other.tenantId)).status).toBe(200);
    });

    it('treats a bearer that is no key as no credential on the admin API (401)', async () => {
      const user = await signupUser(server, tenant.environmentId);
      expect((await readTenantWith(user.sessionToken!)).status).toBe(401);
    });
  });
});
