import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '../../src/services/crypto.js';
import {
  allStrings,
  cookieFrom,
  countRows,
  createEnvironment,
  createEnvironmentWithSettings,
  signupBody,
  signupUser,
  startServerWithTenants,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('environment authentication: /api/v1/auth/environments/:envId/…', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const signup = (body: unknown, environmentId = tenant.environmentId) =>
    request(server.url).post(`/api/v1/auth/environments/${environmentId}/signup`).send(body as object);
  const login = (body: unknown, environmentId = tenant.environmentId) =>
    request(server.url).post(`/api/v1/auth/environments/${environmentId}/login`).send(body as object);
  const accountsWith = (environmentId: string, email: string) =>
    countRows(server.db, 'environment_accounts', { environment_id: environmentId, email_normalized: email.toLowerCase() });
  const withSettings = (settings: Record<string, unknown>) => createEnvironmentWithSettings(server, tenant, settings);

  describe('POST …/signup', () => {
    it('creates the account and a session (cookie and bearer token), and answers no hash', async () => {
      const body = signupBody({ phone: '+14155552671', avatarUrl: 'https://example.com/me.png' });
      const response = await signup(body);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        accountId: expect.any(String),
        sessionToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        session: {
          id: expect.any(String),
          accountType: 'environment_account',
          accountId: response.body.accountId,
          contextType: 'environment',
          contextId: tenant.environmentId,
          expiresAt: expect.any(String),
          lastActiveAt: expect.any(String),
          createdAt: expect.any(String),
        },
      });
      expect(cookieFrom(response, 'sump_env_session')).toBe(`sump_env_session=${response.body.sessionToken}`);
      expect(response.headers['cache-control']).toBe('no-store');
      const row = await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: response.body.accountId }).first();
      expect(row).toMatchObject({ email_verified: false, phone: '+14155552671', custom_properties: {}, disabled: false });
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(allStrings(response.body)).not.toContain(row.password_hash);
      const stored = await server.db('api_sessions').where({ id: response.body.session.id }).first();
      expect(stored.token_hash).toBe(sha256Hex(response.body.sessionToken));
    });

    it('answers 409 naming the field for a taken email, username or phone in the same environment, and writes nothing', async () => {
      const user = await signupUser(server, tenant.environmentId, { phone: '+14155550101' });
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ email: user.email.toUpperCase() }, 'email'],
        [{ username: user.username.toUpperCase() }, 'username'],
        [{ phone: '+14155550101' }, 'phone'],
      ];
      for (const [overrides, field] of cases) {
        const body = signupBody(overrides);
        const response = await signup(body);
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ code: `account.${field}_taken`, errors: [{ field }] });
        expect(JSON.stringify(response.body)).not.toContain(body.password);
        const written = {
          environment_id: tenant.environmentId,
          email_normalized: (body.email as string).toLowerCase(),
          username_normalized: (body.username as string).toLowerCase(),
        };
        expect(await countRows(server.db, 'environment_accounts', written)).toBe(0);
      }
      const both = await signup(signupBody({ email: user.email, username: user.username }));
      expect(both.status).toBe(409);
      expect(both.body.errors.map((error: { field: string }) => error.field)).toEqual(['email', 'username']);
    });

    it('lets the same email sign up in another environment, of this tenant or another (201)', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const sibling = await createEnvironment(server, tenant);
      expect((await signup(signupBody({ email: user.email, username: user.username }), sibling.id)).status).toBe(201);
      expect((await signup(signupBody({ email: user.email, username: user.username }), other.environmentId)).status).toBe(201);
    });

    it('gives one 201 and one 409 when the same email signs up twice at once', async () => {
      for (let round = 0; round < 3; round += 1) {
        const email = `race-${unique()}@example.com`;
        const responses = await Promise.all([signup(signupBody({ email })), signup(signupBody({ email }))]);
        expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
        expect(responses.find((response) => response.status === 409)!.body.code).toBe('account.email_taken');
        expect(await accountsWith(tenant.environmentId, email)).toBe(1);
      }
    });

    it.each([
      ['a missing email', { email: undefined }, 'email'],
      ['a bad email', { email: 'nope' }, 'email'],
      ['a short password', { password: 'short' }, 'password'],
      ['a phone that is not E.164 (seed §6.15)', { phone: '555' }, 'phone'],
      ['a username with a slash', { username: 'a/b/c' }, 'username'],
      ['a non-URL avatar', { avatarUrl: 'not-a-url' }, 'avatarUrl'],
      ['customProperties', { customProperties: {} }, 'customProperties'],
      ['passwordHash (mass assignment)', { passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$x$y' }, 'passwordHash'],
      ['emailVerified (mass assignment)', { emailVerified: true }, 'emailVerified'],
      ['disabled (mass assignment)', { disabled: false }, 'disabled'],
      ['role (mass assignment)', { role: 'owner' }, 'role'],
    ])('refuses %s with 400 and writes nothing', async (_what, overrides, field) => {
      const body = signupBody(overrides);
      const response = await signup(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      if (typeof body.email === 'string') expect(await accountsWith(tenant.environmentId, body.email)).toBe(0);
    });

    it('answers malformed JSON with 400 and a form body with 415', async () => {
      const malformed = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/signup`)
        .set('Content-Type', 'application/json')
        .send('{"name": "x",}');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.malformed_json');
      const body = signupBody();
      const form = await request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/signup`).type('form').send(body);
      expect(form.status).toBe(415);
      expect(await accountsWith(tenant.environmentId, body.email as string)).toBe(0);
    });

    it('answers 400 for a malformed environment id (not 500, seed §6.12) and 404 for an unknown one', async () => {
      const bad = await signup(signupBody(), 'not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('request.invalid_id');
      const unknown = await signup(signupBody(), MISSING);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('environment.not_found');
    });

    it('answers 403 when the environment turned signup off, before the body', async () => {
      for (const settings of [{ signup: { api: false } }, { signup: { enabled: false } }]) {
        const environmentId = await withSettings(settings);
        const body = signupBody();
        const response = await signup(body, environmentId);
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('environment.signup_disabled');
        expect((await signup({}, environmentId)).status).toBe(403);
        expect(await accountsWith(environmentId, body.email as string)).toBe(0);
      }
    });

    it('holds the environment’s password policy', async () => {
      const environmentId = await withSettings({ passwordPolicy: { minLength: 12 } });
      const response = await signup(signupBody({ password: 'elevenchars' }), environmentId);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'password', message: 'must be at least 12 characters' }]);
      expect((await signup(signupBody({ password: 'twelve chars' }), environmentId)).status).toBe(201);
    });

    it('issues no session when the environment requires verified emails', async () => {
      const environmentId = await withSettings({ emailVerification: { required: true } });
      const response = await signup(signupBody(), environmentId);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ accountId: expect.any(String), session: null, sessionToken: null });
      expect(cookieFrom(response, 'sump_env_session')).toBeUndefined();
      expect(await countRows(server.db, 'api_sessions', { account_id: response.body.accountId })).toBe(0);
    });
  });

  describe('POST …/login', () => {
    it('signs in by email, username or phone and answers a session and its token', async () => {
      const user = await signupUser(server, tenant.environmentId, { phone: '+14155550199' });
      for (const identifier of [{ email: ` ${user.email.toUpperCase()} ` }, { username: user.username }, { phone: '+14155550199' }]) {
        const response = await login({ ...identifier, password: user.password });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ accountId: user.accountId, sessionToken: expect.any(String) });
        expect(response.body.session).toMatchObject({ accountType: 'environment_account', contextId: tenant.environmentId });
        expect(cookieFrom(response, 'sump_env_session')).toBeDefined();
      }
    });

    it('answers one 401 for a wrong password, an unknown account, a disabled one, and another environment’s', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const disabled = await signupUser(server, tenant.environmentId);
      await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: disabled.accountId }).update({ disabled: true });
      const elsewhere = await signupUser(server, other.environmentId);
      const responses = [
        await login({ email: user.email, password: 'not the password' }),
        await login({ email: `nobody-${unique()}@example.com`, password: user.password }),
        await login({ email: disabled.email, password: disabled.password }),
        await login({ email: elsewhere.email, password: elsewhere.password }),
      ];
      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('auth.invalid_credentials');
        expect(cookieFrom(response, 'sump_env_session')).toBeUndefined();
      }
    });

    it('answers 403 account.email_unverified only after a correct password, when verification is required', async () => {
      const environmentId = await withSettings({ emailVerification: { required: true } });
      const body = signupBody();
      const { accountId } = (await signup(body, environmentId)).body;
      const wrong = await login({ email: body.email, password: 'not the password' }, environmentId);
      expect(wrong.status).toBe(401);
      const right = await login({ email: body.email, password: body.password }, environmentId);
      expect(right.status).toBe(403);
      expect(right.body.code).toBe('account.email_unverified');
      await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: accountId }).update({ email_verified: true });
      expect((await login({ email: body.email, password: body.password }, environmentId)).status).toBe(200);
    });

    it('refuses bodies without exactly one identifier, with unknown fields, and malformed ids', async () => {
      expect((await login({ password: 'x' })).status).toBe(400);
      expect((await login({ email: 'a@b.co', username: 'abc', password: 'x' })).status).toBe(400);
      expect((await login({ email: 'a@b.co', password: 'x', tenantId: MISSING })).status).toBe(400);
      expect((await login({ email: 'a@b.co', password: 'x' }, '123')).status).toBe(400);
      expect((await login({ email: 'a@b.co', password: 'x' }, MISSING)).status).toBe(404);
    });
  });
});
