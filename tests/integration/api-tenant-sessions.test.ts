import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '../../src/services/crypto.js';
import {
  addTenantAccount,
  cookieFrom,
  countRows,
  DEFAULT_PASSWORD,
  signupUser,
  startServerWithTenants,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'an entirely new passphrase';

describe('tenant sessions: /api/v1/auth/tenants/:tenantId/change-password, …/sessions, …/logout-all', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const auth = (tenantId: string, tail: string) => `/api/v1/auth/tenants/${tenantId}/${tail}`;
  const login = (email: string, password: string, tenantId = tenant.tenantId) =>
    request(server.url).post(auth(tenantId, 'login')).send({ email, password });
  /** A fresh admin of the tenant with `count` sessions (cookies), newest last. */
  const accountWithSessions = async (count: number) => {
    const account = await addTenantAccount(server, tenant, 'admin');
    const cookies = [account.cookie];
    for (let i = 1; i < count; i += 1) cookies.push(cookieFrom(await login(account.email, account.password))!);
    return { ...account, cookies };
  };
  const changePassword = (cookie: string, body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).post(auth(tenantId, 'change-password')).set('Cookie', cookie).send(body as object);
  const sessionOk = async (cookie: string, tenantId = tenant.tenantId) =>
    (await request(server.url).get(auth(tenantId, 'session')).set('Cookie', cookie)).status;

  describe('POST …/change-password', () => {
    it('changes the password, ends the other sessions and rotates the current one (a new cookie)', async () => {
      const account = await accountWithSessions(3);
      const [current, ...others] = account.cookies as [string, ...string[]];
      const response = await changePassword(current, { currentPassword: DEFAULT_PASSWORD, newPassword: NEW_PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        accountId: account.accountId,
        session: { accountId: account.accountId, contextType: 'tenant', contextId: tenant.tenantId },
      });
      const rotated = cookieFrom(response);
      expect(rotated).toBeDefined();
      expect(rotated).not.toBe(current);
      expect(await sessionOk(rotated!)).toBe(200);
      for (const cookie of [current, ...others]) expect(await sessionOk(cookie)).toBe(401);
      expect(await countRows(server.db, 'api_sessions', { tenant_id: tenant.tenantId, account_id: account.accountId })).toBe(1);
      expect((await login(account.email, DEFAULT_PASSWORD)).status).toBe(401);
      expect((await login(account.email, NEW_PASSWORD)).status).toBe(200);
    });

    it('refuses a wrong current password (400 naming it) and keeps password and sessions', async () => {
      const account = await accountWithSessions(2);
      const before = await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: account.accountId }).first();
      const response = await changePassword(account.cookie, { currentPassword: 'not the password', newPassword: NEW_PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('auth.current_password_wrong');
      expect(response.body.errors).toEqual([{ field: 'currentPassword', message: expect.any(String) }]);
      const after = await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: account.accountId }).first();
      expect(after.password_hash).toBe(before.password_hash);
      for (const cookie of account.cookies) expect(await sessionOk(cookie)).toBe(200);
    });

    it.each([
      ['a missing currentPassword', { newPassword: NEW_PASSWORD }, 'currentPassword'],
      ['a missing newPassword', { currentPassword: DEFAULT_PASSWORD }, 'newPassword'],
      ['a short newPassword', { currentPassword: DEFAULT_PASSWORD, newPassword: 'short' }, 'newPassword'],
      ['a 257-character newPassword', { currentPassword: DEFAULT_PASSWORD, newPassword: 'x'.repeat(257) }, 'newPassword'],
      ['an unknown field', { currentPassword: DEFAULT_PASSWORD, newPassword: NEW_PASSWORD, passwordHash: 'x' }, 'passwordHash'],
    ])('refuses %s with a 400 naming the field', async (_label, body, field) => {
      const account = await accountWithSessions(1);
      const response = await changePassword(account.cookie, body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await sessionOk(account.cookie)).toBe(200);
    });

    it('answers 401 without a session, with another tenant’s, an environment’s, or a disabled account’s', async () => {
      const body = { currentPassword: DEFAULT_PASSWORD, newPassword: NEW_PASSWORD };
      expect((await request(server.url).post(auth(tenant.tenantId, 'change-password')).send(body)).status).toBe(401);
      expect((await changePassword(other.cookie, body)).status).toBe(401);
      expect((await changePassword(tenant.cookie, body, other.tenantId)).status).toBe(401);
      const endUser = await signupUser(server, tenant.environmentId);
      const envToken = endUser.cookie!.split('=')[1];
      expect((await changePassword(`sump_session=${envToken}`, body)).status).toBe(401);
      const disabled = await accountWithSessions(1);
      await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: disabled.accountId }).update({ disabled: true });
      expect((await changePassword(disabled.cookie, body)).status).toBe(401);
      // other's password is unchanged
      expect((await login(other.email, other.password, other.tenantId)).status).toBe(200);
    });

    it('checks the origin of a cookie write (403)', async () => {
      const account = await accountWithSessions(1);
      const response = await changePassword(account.cookie, { currentPassword: DEFAULT_PASSWORD, newPassword: NEW_PASSWORD }).set(
        'Origin',
        'https://evil.example',
      );
      expect(response.status).toBe(403);
      expect(await sessionOk(account.cookie)).toBe(200);
    });
  });

  describe('GET …/sessions', () => {
    it('lists the account’s live sessions only, paginated, without tokens or hashes', async () => {
      const account = await accountWithSessions(3);
      await accountWithSessions(1); // another account's session is not listed
      // an expired session of the same account is not listed
      const expired = cookieFrom(await login(account.email, account.password))!;
      await server.db('api_sessions')
        .where({ token_hash: sha256Hex(expired.split('=')[1]!) })
        .update({ expires_at: new Date(Date.now() - 1000) });
      const first = await request(server.url).get(`${auth(tenant.tenantId, 'sessions')}?limit=2`).set('Cookie', account.cookie);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await request(server.url)
        .get(`${auth(tenant.tenantId, 'sessions')}?limit=2&cursor=${first.body.nextCursor}`)
        .set('Cookie', account.cookie);
      expect(second.status).toBe(200);
      expect(second.body.nextCursor).toBeNull();
      const items = [...first.body.items, ...second.body.items] as Array<{ id: string; accountId: string }>;
      expect(items).toHaveLength(3);
      expect(items.every((item) => item.accountId === account.accountId)).toBe(true);
      const hashes = (await server.db('api_sessions').where({ tenant_id: tenant.tenantId }).select('token_hash')).map(
        (row: { token_hash: string }) => row.token_hash,
      );
      for (const hash of hashes) expect(JSON.stringify(first.body)).not.toContain(hash);
      for (const cookie of account.cookies) expect(JSON.stringify(first.body)).not.toContain(cookie.split('=')[1]);
    });

    it('answers 401 without a session or with another tenant’s; 400 for a bad limit or cursor', async () => {
      expect((await request(server.url).get(auth(tenant.tenantId, 'sessions'))).status).toBe(401);
      expect((await request(server.url).get(auth(other.tenantId, 'sessions')).set('Cookie', tenant.cookie)).status).toBe(401);
      expect((await request(server.url).get(`${auth(tenant.tenantId, 'sessions')}?limit=500`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(`${auth(tenant.tenantId, 'sessions')}?cursor=zzz`).set('Cookie', tenant.cookie)).status).toBe(400);
      expect((await request(server.url).get(auth('bad', 'sessions')).set('Cookie', tenant.cookie)).status).toBe(400);
    });
  });

  describe('POST …/logout-all', () => {
    it('ends every session of the account, this one included, answers { revoked } and clears the cookie', async () => {
      const account = await accountWithSessions(3);
      const bystander = await accountWithSessions(1);
      const response = await request(server.url).post(auth(tenant.tenantId, 'logout-all')).set('Cookie', account.cookie);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ revoked: 3 });
      const header = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('sump_session='));
      expect(header).toMatch(/^sump_session=;/);
      for (const cookie of account.cookies) expect(await sessionOk(cookie)).toBe(401);
      expect(await sessionOk(bystander.cookie)).toBe(200);
    });

    it('answers 401 without a session or with another tenant’s, ending nothing', async () => {
      expect((await request(server.url).post(auth(tenant.tenantId, 'logout-all'))).status).toBe(401);
      const response = await request(server.url).post(auth(other.tenantId, 'logout-all')).set('Cookie', tenant.cookie);
      expect(response.status).toBe(401);
      expect(await sessionOk(tenant.cookie)).toBe(200);
      expect(await sessionOk(other.cookie, other.tenantId)).toBe(200);
    });
  });
});
