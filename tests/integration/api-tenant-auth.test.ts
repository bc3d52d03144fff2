import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '../../src/services/crypto.js';
import { allStrings, cookieFrom, countRows, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('tenant authentication: /api/v1/auth/tenants/:tenantId/…', () => {
  let server: TestServer;
  let tenant: TestTenant;
  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server, { account: { phone: `+1415${Math.floor(1e6 + Math.random() * 8e6)}` } });
  });
  afterAll(async () => {
    await server.close();
  });

  const login = (body: unknown, tenantId = tenant.tenantId) =>
    request(server.url).post(`/api/v1/auth/tenants/${tenantId}/login`).send(body as object);
  const getSession = (cookie: string | undefined, tenantId = tenant.tenantId) => {
    const call = request(server.url).get(`/api/v1/auth/tenants/${tenantId}/session`);
    return cookie ? call.set('Cookie', cookie) : call;
  };
  const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

  describe('POST …/login', () => {
    it('signs in by email, username or phone, case-insensitively, and sets the cookie', async () => {
      const owner = await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId }).first();
      for (const identifier of [
        { email: tenant.email.toUpperCase() },
        { username: tenant.username.toUpperCase() },
        { phone: owner.phone },
      ]) {
        const response = await login({ ...identifier, password: tenant.password });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          accountId: tenant.accountId,
          session: {
            id: expect.any(String),
            accountType: 'tenant_account',
            accountId: tenant.accountId,
            contextType: 'tenant',
            contextId: tenant.tenantId,
            expiresAt: expect.any(String),
            lastActiveAt: expect.any(String),
            createdAt: expect.any(String),
          },
        });
        const cookie = cookieFrom(response);
        expect(cookie).toBeDefined();
        expect(allStrings(response.body)).not.toContain(owner.password_hash);
        expect(await countRows(server.db, 'api_sessions', { token_hash: sha256Hex(tokenOf(cookie!)) })).toBe(1);
      }
    });

    it('answers one 401 for a wrong password, an unknown account and a disabled one', async () => {
      const other = await createTenant(server);
      await server.db('tenant_accounts').where({ tenant_id: other.tenantId, id: other.accountId }).update({ disabled: true });
      const before = await countRows(server.db, 'api_sessions', { tenant_id: tenant.tenantId });
      const answers = [
        await login({ email: tenant.email, password: 'wrong password!' }),
        await login({ email: 'nobody@example.com', password: tenant.password }),
        await login({ username: 'nobody_here', password: tenant.password }),
        await login({ phone: '+999999999', password: tenant.password }),
        // the right password of a disabled account: no different answer (seed §6.16)
        await login({ email: other.email, password: other.password }, other.tenantId),
        // another tenant's owner at this tenant
        await login({ email: other.email, password: other.password }),
      ];
      for (const response of answers) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual({
          type: 'urn:sump:problem:auth.invalid_credentials',
          title: expect.any(String),
          status: 401,
          detail: expect.any(String),
          code: 'auth.invalid_credentials',
        });
        expect(cookieFrom(response)).toBeUndefined();
      }
      expect(await countRows(server.db, 'api_sessions', { tenant_id: tenant.tenantId })).toBe(before);
    });

    it('spends a hash verification on an unknown identifier too', async () => {
      const verify = jest.spyOn(server.sump.services.hasher, 'verify');
      try {
        await login({ email: 'nobody@example.com', password: 'whatever pass' });
        expect(verify).toHaveBeenCalledWith(undefined, 'whatever pass');
      } finally {
        verify.mockRestore();
      }
    });

    it('takes exactly one identifier', async () => {
      for (const body of [
        { password: tenant.password },
        { email: tenant.email, username: tenant.username, password: tenant.password },
        { email: tenant.email, phone: '+14155550000', password: tenant.password },
      ]) {
        const response = await login(body);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('request.validation_failed');
        expect(response.body.errors[0].message).toMatch(/exactly one/);
      }
    });

    it('refuses bad bodies: missing password, unknown fields, malformed JSON, not JSON', async () => {
      const missing = await login({ email: tenant.email });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      const unknown = await login({ email: tenant.email, password: tenant.password, remember: true });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([{ field: 'remember', message: 'unknown field' }]);
      const malformed = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .set('Content-Type', 'application/json')
        .send('{"email":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.malformed_json');
      const form = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .type('form')
        .send({ email: tenant.email, password: tenant.password });
      expect(form.status).toBe(415);
      expect(cookieFrom(form)).toBeUndefined();
    });

    it('answers 400 for an id without a UUID shape and 404 for an unknown tenant', async () => {
      const bad = await login({ email: tenant.email, password: tenant.password }, 'not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'request.invalid_id', errors: [{ field: 'tenantId', message: 'invalid id' }] });
      const unknown = await login({ email: tenant.email, password: tenant.password }, '00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('tenant.not_found');
      // the tenant check comes before the body's
      const unknownBadBody = await login({}, '00000000-0000-4000-8000-000000000000');
      expect(unknownBadBody.status).toBe(404);
    });
  });

  describe('GET …/session', () => {
    it('answers the session of this tenant and slides its idle window', async () => {
      const fresh = await login({ email: tenant.email, password: tenant.password });
      const cookie = cookieFrom(fresh)!;
      const tokenHash = sha256Hex(tokenOf(cookie));
      const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
      await server.db('api_sessions').where({ token_hash: tokenHash }).update({ last_active_at: twoDaysAgo });
      const response = await getSession(cookie);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: fresh.body.session.id, accountType: 'tenant_account', contextId: tenant.tenantId });
      const row = await server.db('api_sessions').where({ token_hash: tokenHash }).first();
      expect(new Date(row.last_active_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('answers 401 without a cookie, with an unknown one, and for an idle or expired session', async () => {
      expect((await getSession(undefined)).status).toBe(401);
      const unknown = await getSession('sump_session=not-a-real-token');
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe('auth.unauthenticated');

      const idle = cookieFrom(await login({ email: tenant.email, password: tenant.password }))!;
      await server.db('api_sessions')
        .where({ token_hash: sha256Hex(tokenOf(idle)) })
        .update({ last_active_at: new Date(Date.now() - 8 * 86400_000) });
      expect((await getSession(idle)).status).toBe(401);
      // an idle-expired session is removed when presented
      expect(await countRows(server.db, 'api_sessions', { token_hash: sha256Hex(tokenOf(idle)) })).toBe(0);

      const expired = cookieFrom(await login({ email: tenant.email, password: tenant.password }))!;
      await server.db('api_sessions')
        .where({ token_hash: sha256Hex(tokenOf(expired)) })
        .update({ expires_at: new Date(Date.now() - 1000) });
      expect((await getSession(expired)).status).toBe(401);
    });

    it('answers 401 on another tenant’s path, for an environment session, and once the account is disabled or gone (seed §6.5)', async () => {
      const other = await createTenant(server);
      expect((await getSession(tenant.cookie, other.tenantId)).status).toBe(401);

      const user = await signupUser(server, tenant.environmentId);
      const asTenantCookie = `sump_session=${user.sessionToken}`;
      expect((await getSession(asTenantCookie)).status).toBe(401);

      const victim = await createTenant(server);
      expect((await getSession(victim.cookie, victim.tenantId)).status).toBe(200);
      await server.db('tenant_accounts').where({ tenant_id: victim.tenantId }).update({ disabled: true });
      expect((await getSession(victim.cookie, victim.tenantId)).status).toBe(401);
      await server.db('tenants').where({ id: victim.tenantId }).delete();
      expect((await getSession(victim.cookie, victim.tenantId)).status).toBe(401);
    });

    it('answers 400 for a malformed tenant id', async () => {
      const response = await getSession(tenant.cookie, 'abc');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.invalid_id');
    });
  });

  describe('POST …/logout', () => {
    it('ends the session and clears the cookie', async () => {
      const cookie = cookieFrom(await login({ email: tenant.email, password: tenant.password }))!;
      const response = await request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/logout`).set('Cookie', cookie);
      expect(response.status).toBe(204);
      const cleared = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('sump_session='));
      expect(cleared).toMatch(/^sump_session=;.*expires=Thu, 01 Jan 1970/i);
      expect(await countRows(server.db, 'api_sessions', { token_hash: sha256Hex(tokenOf(cookie)) })).toBe(0);
      expect((await getSession(cookie)).status).toBe(401);
    });

    it('answers 204 without a cookie, and leaves another tenant’s session alone', async () => {
      const none = await request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/logout`);
      expect(none.status).toBe(204);
      const other = await createTenant(server);
      const response = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/logout`)
        .set('Cookie', other.cookie);
      expect(response.status).toBe(204);
      expect((await getSession(other.cookie, other.tenantId)).status).toBe(200);
    });

    it('refuses a cross-origin logout with the cookie', async () => {
      const cookie = cookieFrom(await login({ email: tenant.email, password: tenant.password }))!;
      const response = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/logout`)
        .set('Cookie', cookie)
        .set('Origin', 'https://evil.example');
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('request.cross_origin');
      expect((await getSession(cookie)).status).toBe(200);
    });
  });
});
