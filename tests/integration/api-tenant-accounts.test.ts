import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  addTenantAccount,
  allStrings,
  cookieFrom,
  countRows,
  createTenant,
  DEFAULT_PASSWORD,
  startServerWithTenants,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
type Role = 'owner' | 'admin' | 'user';

describe('tenant accounts: /api/v1/tenants/:tenantId/accounts', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  let admin: { accountId: string; cookie: string };
  let user: { accountId: string; cookie: string };
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
    admin = await addTenantAccount(server, tenant, 'admin');
    user = await addTenantAccount(server, tenant, 'user');
  });
  afterAll(async () => {
    await server.close();
  });

  const base = (tenantId = tenant.tenantId) => `/api/v1/tenants/${tenantId}/accounts`;
  const accountBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const id = unique();
    return { name: 'Alan Turing', email: `alan-${id}@example.com`, username: `alan_${id}`, ...overrides };
  };
  const create = (cookie: string, body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).post(base(tenantId)).set('Cookie', cookie).send(body as object);
  const patch = (cookie: string, accountId: string, tail: string, body?: unknown, tenantId = tenant.tenantId) => {
    const call = request(server.url).patch(`${base(tenantId)}/${accountId}${tail}`).set('Cookie', cookie);
    return body === undefined ? call : call.send(body as object);
  };
  const remove = (cookie: string, accountId: string, tenantId = tenant.tenantId) =>
    request(server.url).delete(`${base(tenantId)}/${accountId}`).set('Cookie', cookie);
  const row = (accountId: string, tenantId = tenant.tenantId) =>
    server.db('tenant_accounts').where({ tenant_id: tenantId, id: accountId }).first();
  const sessionAnswer = (cookie: string, tenantId = tenant.tenantId) =>
    request(server.url).get(`/api/v1/auth/tenants/${tenantId}/session`).set('Cookie', cookie);
  /** A tenant of its own with one owner (signed in): for the last-owner rules. */
  const freshTenant = () => createTenant(server);

  describe('POST', () => {
    it('creates an account with a password (201, the entity, no hash) that can sign in', async () => {
      const body = accountBody({ password: DEFAULT_PASSWORD, phone: '+14155550101', avatarUrl: 'https://example.com/a.png', role: 'admin' });
      const response = await create(tenant.cookie, body);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        tenantId: tenant.tenantId,
        name: 'Alan Turing',
        email: body.email,
        emailVerified: false,
        username: body.username,
        phone: '+14155550101',
        avatarUrl: 'https://example.com/a.png',
        role: 'admin',
        disabled: false,
        disabledAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const stored = await row(response.body.id);
      expect(stored.password_hash).toMatch(/^\$argon2id\$/);
      expect(allStrings(response.body)).not.toContain(stored.password_hash);
      const login = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .send({ email: body.email, password: DEFAULT_PASSWORD });
      expect(login.status).toBe(200);
    });

    it('defaults the role to user; without a password the account has none (it cannot sign in yet)', async () => {
      const body = accountBody();
      const response = await create(admin.cookie, body);
      expect(response.status).toBe(201);
      expect(response.body.role).toBe('user');
      expect((await row(response.body.id)).password_hash).toBeNull();
    });

    it('refuses a user (403), and an admin granting admin or owner (role escalation, 403); nothing is written', async () => {
      const before = await countRows(server.db, 'tenant_accounts', { tenant_id: tenant.tenantId });
      expect((await create(user.cookie, accountBody())).status).toBe(403);
      for (const role of ['admin', 'owner']) {
        const response = await create(admin.cookie, accountBody({ role }));
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('auth.forbidden');
      }
      expect(await countRows(server.db, 'tenant_accounts', { tenant_id: tenant.tenantId })).toBe(before);
      const byOwner = await create(tenant.cookie, accountBody({ role: 'owner' }));
      expect(byOwner.status).toBe(201);
      expect(byOwner.body.role).toBe('owner');
    });

    it.each([
      ['a missing name', { name: undefined }, 'name'],
      ['a 2-character name', { name: 'Al' }, 'name'],
      ['a bad email', { email: 'nope' }, 'email'],
      ['a short username', { username: 'ab' }, 'username'],
      ['a username with spaces', { username: 'a b c' }, 'username'],
      ['a short password', { password: 'short' }, 'password'],
      ['a phone that is not E.164', { phone: '0123' }, 'phone'],
      ['an avatar that is no http(s) URL', { avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
      ['an unknown role', { role: 'superuser' }, 'role'],
      ['roles (the original’s field)', { roles: [{ role: 'owner', target: 'tenant' }] }, 'roles'],
      ['passwordHash (mass assignment)', { passwordHash: '$argon2id$v=19$m=1,t=1,p=1$x$y' }, 'passwordHash'],
      ['disabled (mass assignment)', { disabled: true }, 'disabled'],
      ['tenantId (mass assignment)', { tenantId: NO_SUCH_ID }, 'tenantId'],
      ['emailVerified (mass assignment)', { emailVerified: true }, 'emailVerified'],
    ])('refuses %s with a 400 naming the field, writing nothing', async (_label, overrides, field) => {
      const body = accountBody(overrides);
      const response = await create(tenant.cookie, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await countRows(server.db, 'tenant_accounts', { tenant_id: tenant.tenantId, email_normalized: String(body.email).toLowerCase() })).toBe(0);
    });

    it('answers 409 naming the field for a taken email, username or phone (case-insensitively), never a 500', async () => {
      const first = accountBody({ phone: `+1415${Math.floor(1e6 + Math.random() * 8e6)}` });
      expect((await create(tenant.cookie, first)).status).toBe(201);
      for (const [field, value] of [
        ['email', String(first.email).toUpperCase()],
        ['username', String(first.username).toUpperCase()],
        ['phone', first.phone],
      ] as const) {
        const response = await create(tenant.cookie, accountBody({ [field]: value }));
        expect(response.status).toBe(409);
        expect(response.body.code).toBe(`account.${field}_taken`);
        expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
      }
      // per tenant: the same identifiers are free in another tenant
      expect((await create(other.cookie, { ...first }, other.tenantId)).status).toBe(201);
    });

    it('answers one 201 and 409s for parallel creations of one email', async () => {
      const email = `race-${unique()}@example.com`;
      const answers = await Promise.all(Array.from({ length: 5 }, () => create(tenant.cookie, accountBody({ email }))));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    });

    it('refuses another tenant’s credential (404, cross-tenant role grant) and writes nothing there', async () => {
      const before = await countRows(server.db, 'tenant_accounts', { tenant_id: other.tenantId });
      const response = await create(tenant.cookie, accountBody({ role: 'owner' }), other.tenantId);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('tenant.not_found');
      expect((await create(tenant.cookie, accountBody(), NO_SUCH_ID)).status).toBe(404);
      expect((await create(tenant.cookie, accountBody(), 'bad-id')).status).toBe(400);
      expect(await countRows(server.db, 'tenant_accounts', { tenant_id: other.tenantId })).toBe(before);
    });
  });

  describe('GET (list and one)', () => {
    it('lists the tenant’s accounts to every role, paginated, without hashes or other tenants’ accounts', async () => {
      const fresh = await freshTenant();
      for (let i = 0; i < 3; i += 1) expect((await create(fresh.cookie, accountBody(), fresh.tenantId)).status).toBe(201);
      const reader = await addTenantAccount(server, fresh, 'user');
      const first = await request(server.url).get(`${base(fresh.tenantId)}?limit=3`).set('Cookie', reader.cookie);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(3);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await request(server.url)
        .get(`${base(fresh.tenantId)}?limit=3&cursor=${first.body.nextCursor}`)
        .set('Cookie', reader.cookie);
      expect(second.status).toBe(200);
      expect(second.body.nextCursor).toBeNull();
      const all = [...first.body.items, ...second.body.items] as Array<{ id: string; tenantId: string }>;
      expect(all).toHaveLength(5);
      expect(new Set(all.map((a) => a.id)).size).toBe(5);
      expect(all.every((a) => a.tenantId === fresh.tenantId)).toBe(true);
      expect(JSON.stringify(all)).not.toMatch(/argon2|passwordHash|password_hash/);
    });

    it('refuses a bad limit or cursor (400), another tenant (404)', async () => {
      expect((await request(server.url).get(`${base()}?limit=0`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(`${base()}?limit=101`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(`${base()}?cursor=nonsense`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(`${base()}?email=x`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(base(other.tenantId)).set('Cookie', tenant.cookie)).status).toBe(404);
      expect((await request(server.url).get(base())).status).toBe(401);
    });

    it('reads one account to every role (self included); 404 for unknown or other tenants’ ids', async () => {
      for (const cookie of [tenant.cookie, admin.cookie, user.cookie]) {
        const response = await request(server.url).get(`${base()}/${user.accountId}`).set('Cookie', cookie);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ id: user.accountId, role: 'user', tenantId: tenant.tenantId });
      }
      expect((await request(server.url).get(`${base()}/${NO_SUCH_ID}`).set('Cookie', tenant.cookie)).status).toBe(404);
      expect((await request(server.url).get(`${base()}/${other.accountId}`).set('Cookie', tenant.cookie)).status).toBe(404);
      expect((await request(server.url).get(`${base(other.tenantId)}/${other.accountId}`).set('Cookie', tenant.cookie)).status).toBe(404);
      expect((await request(server.url).get(`${base()}/bad`).set('Cookie', tenant.cookie)).status).toBe(400);
    });
  });

  describe('PATCH profile, email, username, phone', () => {
    it('lets everyone edit their own profile and identifiers', async () => {
      const self = await addTenantAccount(server, tenant, 'user');
      const profile = await patch(self.cookie, self.accountId, '', { name: 'New Name', avatarUrl: 'https://example.com/me.png' });
      expect(profile.status).toBe(200);
      expect(profile.body).toMatchObject({ name: 'New Name', avatarUrl: 'https://example.com/me.png' });
      const email = `me-${unique()}@example.com`;
      const changed = await patch(self.cookie, self.accountId, '/email', { email });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email, emailVerified: false });
      const username = `me_${unique()}`;
      expect((await patch(self.cookie, self.accountId, '/username', { username })).body.username).toBe(username);
      expect((await patch(self.cookie, self.accountId, '/phone', { phone: '+14155550199' })).body.phone).toBe('+14155550199');
      expect(await row(self.accountId)).toMatchObject({
        name: 'New Name',
        email,
        email_normalized: email,
        username,
        username_normalized: username,
        phone: '+14155550199',
        role: 'user',
      });
    });

    it('lets an owner edit an admin, an admin a user; refuses a user on another, an admin on an admin or owner (403)', async () => {
      const target = await addTenantAccount(server, tenant, 'user');
      const adminTarget = await addTenantAccount(server, tenant, 'admin');
      expect((await patch(admin.cookie, target.accountId, '', { name: 'By Admin' })).status).toBe(200);
      expect((await patch(tenant.cookie, adminTarget.accountId, '', { name: 'By Owner' })).status).toBe(200);
      const before = await row(adminTarget.accountId);
      for (const [cookie, accountId] of [
        [user.cookie, target.accountId],
        [admin.cookie, adminTarget.accountId],
        [admin.cookie, tenant.accountId],
      ] as const) {
        for (const [tail, body] of [
          ['', { name: 'Hijacked' }],
          ['/email', { email: `x-${unique()}@example.com` }],
          ['/username', { username: `x_${unique()}` }],
          ['/phone', { phone: '+14155550777' }],
        ] as const) {
          const response = await patch(cookie, accountId, tail, body);
          expect(response.status).toBe(403);
        }
      }
      expect(await row(adminTarget.accountId)).toEqual(before);
    });

    it.each([
      ['', {}, '(body)'],
      ['', { name: 'Al' }, 'name'],
      ['', { avatarUrl: 'ftp://example.com/x' }, 'avatarUrl'],
      ['', { role: 'owner' }, 'role'],
      ['', { passwordHash: 'x' }, 'passwordHash'],
      ['/email', {}, 'email'],
      ['/email', { email: 'nope' }, 'email'],
      ['/email', { email: 'a@example.com', role: 'owner' }, 'role'],
      ['/email', { email: 'a@example.com', name: 'Sneaky' }, 'name'],
      ['/email', { email: 'a@example.com', roles: '[{"role":"owner","target":"tenant"}]' }, 'roles'],
      ['/username', { username: 'a' }, 'username'],
      ['/username', { username: 'abc', disabled: true }, 'disabled'],
      ['/phone', { phone: '12345' }, 'phone'],
      ['/phone', { phone: '+14155550100', passwordHash: 'x' }, 'passwordHash'],
    ])('PATCH …%s refuses %j with a 400 naming %s (mass assignment included), changing nothing', async (tail, body, field) => {
      const self = await addTenantAccount(server, tenant, 'user');
      const before = await row(self.accountId);
      const response = await patch(self.cookie, self.accountId, tail, body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await row(self.accountId)).toEqual(before);
    });

    it('answers 409 naming the field when the new identifier is taken (never a 500)', async () => {
      const phone = `+1415${Math.floor(1e6 + Math.random() * 8e6)}`;
      const taken = (await create(tenant.cookie, accountBody({ phone }))).body;
      const self = await addTenantAccount(server, tenant, 'user');
      for (const [tail, body, field] of [
        ['/email', { email: taken.email.toUpperCase() }, 'email'],
        ['/username', { username: taken.username }, 'username'],
        ['/phone', { phone }, 'phone'],
      ] as const) {
        const response = await patch(self.cookie, self.accountId, tail, body);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe(`account.${field}_taken`);
        expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
      }
    });

    it('answers 404 for an unknown account or another tenant’s, with nothing changed there', async () => {
      const before = await row(other.accountId, other.tenantId);
      expect((await patch(tenant.cookie, NO_SUCH_ID, '', { name: 'Nobody here' })).status).toBe(404);
      expect((await patch(tenant.cookie, other.accountId, '', { name: 'Taken over' })).status).toBe(404);
      expect((await patch(tenant.cookie, other.accountId, '/email', { email: 'x@example.com' }, other.tenantId)).status).toBe(404);
      expect(await row(other.accountId, other.tenantId)).toEqual(before);
    });
  });

  describe('PATCH …/role', () => {
    it('lets an owner promote and demote; an admin only to user, on users (role escalation refused with 403)', async () => {
      const target = await addTenantAccount(server, tenant, 'user');
      const promoted = await patch(tenant.cookie, target.accountId, '/role', { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(promoted.body.role).toBe('admin');
      expect((await patch(tenant.cookie, target.accountId, '/role', { role: 'user' })).body.role).toBe('user');

      for (const role of ['admin', 'owner']) {
        const escalation = await patch(admin.cookie, target.accountId, '/role', { role });
        expect(escalation.status).toBe(403);
      }
      expect((await patch(admin.cookie, admin.accountId, '/role', { role: 'owner' })).status).toBe(403);
      expect((await patch(user.cookie, user.accountId, '/role', { role: 'admin' })).status).toBe(403);
      const adminTarget = await addTenantAccount(server, tenant, 'admin');
      expect((await patch(admin.cookie, adminTarget.accountId, '/role', { role: 'user' })).status).toBe(403);
      expect((await row(target.accountId)).role).toBe('user');
      expect((await row(adminTarget.accountId)).role).toBe('admin');
      expect((await row(admin.accountId)).role).toBe('admin');
    });

    it('applies the new role at once to the account’s existing session', async () => {
      const target = await addTenantAccount(server, tenant, 'admin');
      expect((await create(target.cookie, accountBody())).status).toBe(201);
      expect((await patch(tenant.cookie, target.accountId, '/role', { role: 'user' })).status).toBe(200);
      expect((await create(target.cookie, accountBody())).status).toBe(403);
    });

    it.each([[{}], [{ role: 'root' }], [{ role: 'user', disabled: true }]])('refuses %j with a 400', async (body) => {
      const target = await addTenantAccount(server, tenant, 'user');
      expect((await patch(tenant.cookie, target.accountId, '/role', body)).status).toBe(400);
    });

    it('refuses a cross-tenant role grant: tenant A’s owner on B’s account is a 404, B unchanged', async () => {
      const otherAdmin = await addTenantAccount(server, other, 'user');
      for (const tenantId of [other.tenantId, tenant.tenantId]) {
        const response = await patch(tenant.cookie, otherAdmin.accountId, '/role', { role: 'owner' }, tenantId);
        expect(response.status).toBe(404);
      }
      expect((await row(otherAdmin.accountId, other.tenantId)).role).toBe('user');
      expect((await patch(tenant.cookie, NO_SUCH_ID, '/role', { role: 'user' })).status).toBe(404);
    });

    it('refuses to demote the last enabled owner (409 tenant.last_owner), even oneself', async () => {
      const fresh = await freshTenant();
      const response = await patch(fresh.cookie, fresh.accountId, '/role', { role: 'admin' }, fresh.tenantId);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('tenant.last_owner');
      expect((await row(fresh.accountId, fresh.tenantId)).role).toBe('owner');
      // with a second owner, one may step down
      const second = await addTenantAccount(server, fresh, 'owner');
      expect((await patch(fresh.cookie, fresh.accountId, '/role', { role: 'admin' }, fresh.tenantId)).status).toBe(200);
      expect((await patch(second.cookie, second.accountId, '/role', { role: 'user' }, fresh.tenantId)).status).toBe(409);
    });

    it('leaves one owner when two owners demote each other at the same moment', async () => {
      for (let round = 0; round < 3; round += 1) {
        const fresh = await freshTenant();
        const second = await addTenantAccount(server, fresh, 'owner');
        const answers = await Promise.all([
          patch(fresh.cookie, second.accountId, '/role', { role: 'admin' }, fresh.tenantId),
          patch(second.cookie, fresh.accountId, '/role', { role: 'admin' }, fresh.tenantId),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([200, 403]);
        expect(await countRows(server.db, 'tenant_accounts', { tenant_id: fresh.tenantId, role: 'owner', disabled: false })).toBe(1);
      }
    });
  });

  describe('PATCH …/disable and …/enable', () => {
    it('disables (its sessions end at once: 401) and enables again, answering the entity', async () => {
      const target = await addTenantAccount(server, tenant, 'user');
      const disabled = await patch(admin.cookie, target.accountId, '/disable');
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ id: target.accountId, disabled: true, disabledAt: expect.any(String) });
      expect(await countRows(server.db, 'api_sessions', { tenant_id: tenant.tenantId, account_id: target.accountId })).toBe(0);
      expect((await sessionAnswer(target.cookie)).status).toBe(401);
      expect((await request(server.url).get(base()).set('Cookie', target.cookie)).status).toBe(401);
      const login = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .send({ email: target.email, password: target.password });
      expect(login.status).toBe(401);

      const enabled = await patch(admin.cookie, target.accountId, '/enable');
      expect(enabled.status).toBe(200);
      expect(enabled.body).toMatchObject({ disabled: false, disabledAt: null });
      const again = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .send({ email: target.email, password: target.password });
      expect(again.status).toBe(200);
      expect(cookieFrom(again)).toBeDefined();
    });

    it('refuses a user, an admin on an admin or an owner, and a body (403 / 400), changing nothing', async () => {
      const adminTarget = await addTenantAccount(server, tenant, 'admin');
      const userTarget = await addTenantAccount(server, tenant, 'user');
      expect((await patch(user.cookie, userTarget.accountId, '/disable')).status).toBe(403);
      expect((await patch(admin.cookie, adminTarget.accountId, '/disable')).status).toBe(403);
      expect((await patch(admin.cookie, tenant.accountId, '/disable')).status).toBe(403);
      expect((await patch(admin.cookie, admin.accountId, '/disable')).status).toBe(403);
      expect((await patch(admin.cookie, userTarget.accountId, '/disable', { disabled: true })).status).toBe(400);
      expect((await patch(admin.cookie, userTarget.accountId, '/enable', { role: 'owner' })).status).toBe(400);
      for (const id of [adminTarget.accountId, userTarget.accountId, tenant.accountId]) expect((await row(id)).disabled).toBe(false);
      expect((await sessionAnswer(adminTarget.cookie)).status).toBe(200);
    });

    it('answers 404 for an unknown account or another tenant’s, which stays enabled', async () => {
      expect((await patch(tenant.cookie, NO_SUCH_ID, '/disable')).status).toBe(404);
      expect((await patch(tenant.cookie, other.accountId, '/disable')).status).toBe(404);
      expect((await patch(tenant.cookie, other.accountId, '/disable', undefined, other.tenantId)).status).toBe(404);
      expect((await row(other.accountId, other.tenantId)).disabled).toBe(false);
      expect((await sessionAnswer(other.cookie, other.tenantId)).status).toBe(200);
    });

    it('refuses to disable the last enabled owner (409), oneself included; another owner may be disabled', async () => {
      const fresh = await freshTenant();
      const response = await patch(fresh.cookie, fresh.accountId, '/disable', undefined, fresh.tenantId);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('tenant.last_owner');
      const second = await addTenantAccount(server, fresh, 'owner');
      expect((await patch(fresh.cookie, second.accountId, '/disable', undefined, fresh.tenantId)).status).toBe(200);
      // the disabled owner does not count: the remaining one is still the last
      expect((await patch(fresh.cookie, fresh.accountId, '/disable', undefined, fresh.tenantId)).status).toBe(409);
      expect((await patch(fresh.cookie, fresh.accountId, '/role', { role: 'admin' }, fresh.tenantId)).status).toBe(409);
      expect((await patch(fresh.cookie, second.accountId, '/enable', undefined, fresh.tenantId)).status).toBe(200);
    });
  });

  describe('DELETE', () => {
    it('deletes an account (204) and every session of it: its cookie answers 401 at once', async () => {
      const target = await addTenantAccount(server, tenant, 'user');
      const response = await remove(admin.cookie, target.accountId);
      expect(response.status).toBe(204);
      expect(await row(target.accountId)).toBeUndefined();
      expect(await countRows(server.db, 'api_sessions', { tenant_id: tenant.tenantId, account_id: target.accountId })).toBe(0);
      expect((await sessionAnswer(target.cookie)).status).toBe(401);
      expect((await request(server.url).get(base()).set('Cookie', target.cookie)).status).toBe(401);
      expect((await remove(admin.cookie, target.accountId)).status).toBe(404);
    });

    it('lets anyone delete their own account, except the last owner (409)', async () => {
      const leaving = await addTenantAccount(server, tenant, 'user');
      expect((await remove(leaving.cookie, leaving.accountId)).status).toBe(204);
      const fresh = await freshTenant();
      const last = await remove(fresh.cookie, fresh.accountId, fresh.tenantId);
      expect(last.status).toBe(409);
      expect(last.body.code).toBe('tenant.last_owner');
      expect(await row(fresh.accountId, fresh.tenantId)).toBeDefined();
      const second = await addTenantAccount(server, fresh, 'owner');
      expect((await remove(second.cookie, fresh.accountId, fresh.tenantId)).status).toBe(204);
      expect((await remove(second.cookie, second.accountId, fresh.tenantId)).status).toBe(409);
    });

    it('refuses a user on another, an admin on an admin or owner (403); another tenant’s account is a 404', async () => {
      const userTarget = await addTenantAccount(server, tenant, 'user');
      const adminTarget = await addTenantAccount(server, tenant, 'admin');
      expect((await remove(user.cookie, userTarget.accountId)).status).toBe(403);
      expect((await remove(admin.cookie, adminTarget.accountId)).status).toBe(403);
      expect((await remove(admin.cookie, tenant.accountId)).status).toBe(403);
      expect((await remove(tenant.cookie, other.accountId)).status).toBe(404);
      expect((await remove(tenant.cookie, other.accountId, other.tenantId)).status).toBe(404);
      expect((await remove(tenant.cookie, 'bad')).status).toBe(400);
      for (const id of [userTarget.accountId, adminTarget.accountId, tenant.accountId]) expect(await row(id)).toBeDefined();
      expect(await row(other.accountId, other.tenantId)).toBeDefined();
    });
  });

  it('checks roles against the current role: a demoted owner’s session loses owner rights at once', async () => {
    const fresh = await freshTenant();
    const second = await addTenantAccount(server, fresh, 'owner');
    expect((await patch(fresh.cookie, second.accountId, '/role', { role: 'user' }, fresh.tenantId)).status).toBe(200);
    const role: Role = (await row(second.accountId, fresh.tenantId)).role;
    expect(role).toBe('user');
    expect((await remove(second.cookie, fresh.accountId, fresh.tenantId)).status).toBe(403);
  });
});
