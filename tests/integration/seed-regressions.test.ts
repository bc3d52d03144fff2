import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Writable } from 'node:stream';
import request from 'supertest';
import { deleteExpiredRows } from '../../src/background.js';
import { sha256Hex } from '../../src/services/crypto.js';
import { createLogger } from '../../src/logger.js';
import {
  addTenantAccount,
  allStrings,
  cookieFrom,
  countRows,
  createClient,
  createEnvironmentWithSettings,
  createTenant,
  DEFAULT_PASSWORD,
  DEFAULT_REDIRECT_URI,
  signupBody,
  signupUser,
  tenantBody,
  unique,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { pageText } from '../helpers/http-browser.js';
import { authorizationRequest, discoverClient, newBrowser } from '../helpers/oidc.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.js';

/**
 * One regression test per kind of bug of the original sump (shared/seed/sump-api.md §6) that
 * no other file guards on its own, or guards on one endpoint only. docs/regressions.md maps
 * every kind of §6 to the tests that guard it, here and in the other files.
 */

const MISSING = '00000000-0000-4000-8000-000000000000';
/** A client id of the right shape that names no client. */
const MISSING_CLIENT_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

interface Auth {
  readonly cookie?: string | undefined;
  readonly bearer?: string | null | undefined;
}

/** One HTTP call of the API, with a cookie and/or a bearer, and a JSON body for writes. */
function callApi(server: TestServer, method: Method, path: string, auth: Auth = {}, body?: unknown): request.Test {
  const test = request(server.url)[method](path);
  if (auth.cookie) test.set('Cookie', auth.cookie);
  if (auth.bearer) test.set('Authorization', `Bearer ${auth.bearer}`);
  if (body !== undefined) test.send(body as object);
  return test;
}

/** Names of fields that would hold a secret or a hash (private JWK members included). */
const SECRET_FIELD = /^(password|newPassword|currentPassword|passwordHash|tokenHash|keyHash|secretHash|privateJwk|d|p|q|dp|dq|qi)$|hash|encrypted/i;

/** Every key of every object in a JSON value. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  return [];
}

/**
 * The reset (or set-password) token of the last mail queued to `to`, read from the mail
 * service's queue calls once the recorded forgot-password requests are processed (background).
 */
async function tokenMailedTo(queue: { mock: { calls: unknown[][] } }, to: string, from: TestServer = server): Promise<string> {
  await from.sump.services.linkRequests.processLinkRequests();
  const calls = queue.mock.calls.filter((call) => (call[1] as { to: string }).to === to);
  const text = (calls[calls.length - 1]?.[1] as { text?: string } | undefined)?.text ?? '';
  const match = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error(`no link mailed to ${to}`);
  return match[1] as string;
}

let server: TestServer;
let tenant: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server);
  other = await createTenant(server);
});
afterAll(async () => {
  await server.close();
});

const call = (method: Method, path: string, auth: Auth = { cookie: tenant.cookie }, body?: unknown) =>
  callApi(server, method, path, auth, body);

/** Every route of /api/v1 with the names of its path parameters, read from the router itself. */
function apiRoutes(): Array<{ method: Method; path: string; params: string[] }> {
  const router = server.sump.koa.middleware
    .map((middleware) => (middleware as unknown as { router?: { stack: Array<{ path: string; methods: string[]; paramNames: Array<{ name: string }> }> } }).router)
    .find((candidate) => candidate?.stack.some((layer) => layer.path.startsWith('/api/v1/')));
  if (!router) throw new Error('the API router was not found');
  const routes: Array<{ method: Method; path: string; params: string[] }> = [];
  for (const layer of router.stack) {
    for (const method of layer.methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      routes.push({ method: method.toLowerCase() as Method, path: layer.path, params: layer.paramNames.map((param) => param.name) });
    }
  }
  return routes;
}

describe('seed §6.1 cross-tenant role grant: no credential of tenant A acts on tenant B, whatever role it holds', () => {
  it('A’s owner, admin and admin API key get 404 on B’s tenant, accounts, environments and end users; B is unchanged', async () => {
    const aAdmin = await addTenantAccount(server, tenant, 'admin');
    const key = await call('post', `/api/v1/tenants/${tenant.tenantId}/api-keys`, { cookie: tenant.cookie }, { name: 'k', role: 'admin' });
    expect(key.status).toBe(201);
    const bUser = await signupUser(server, other.environmentId);
    const bMember = await addTenantAccount(server, other, 'user');
    const before = async () => ({
      tenant: await server.db('tenants').where({ id: other.tenantId }).first(),
      member: await server.db('tenant_accounts').where({ tenant_id: other.tenantId, id: bMember.accountId }).first(),
      user: await server.db('environment_accounts').where({ tenant_id: other.tenantId, id: bUser.accountId }).first(),
      environments: await countRows(server.db, 'environments', { tenant_id: other.tenantId }),
      accounts: await countRows(server.db, 'tenant_accounts', { tenant_id: other.tenantId }),
    });
    const snapshot = await before();
    const b = `/api/v1/tenants/${other.tenantId}`;
    const bEnv = `/api/v1/environments/${other.environmentId}`;
    const attempts: Array<[Method, string, unknown]> = [
      ['get', b, undefined],
      ['patch', b, { name: 'Taken over' }],
      ['get', `${b}/accounts`, undefined],
      ['post', `${b}/accounts`, { name: 'Intruder Owner', email: `i-${unique()}@example.com`, username: `i_${unique()}`, role: 'owner' }],
      ['patch', `${b}/accounts/${bMember.accountId}/role`, { role: 'owner' }],
      ['patch', `${b}/accounts/${bMember.accountId}/disable`, undefined],
      ['post', `${b}/environments`, { name: `intruder-${unique()}` }],
      ['get', `${bEnv}/accounts`, undefined],
      ['get', `${bEnv}/accounts/${bUser.accountId}`, undefined],
      ['patch', `${bEnv}/accounts/${bUser.accountId}/disable`, undefined],
      ['patch', `${bEnv}/accounts/${bUser.accountId}`, { name: 'Renamed By A' }],
      ['delete', `${bEnv}/accounts/${bUser.accountId}`, undefined],
      // B's ids under A's own paths
      ['patch', `/api/v1/tenants/${tenant.tenantId}/accounts/${bMember.accountId}/role`, { role: 'owner' }],
      ['patch', `/api/v1/environments/${tenant.environmentId}/accounts/${bUser.accountId}/disable`, undefined],
    ];
    for (const auth of [{ cookie: tenant.cookie }, { cookie: aAdmin.cookie }, { bearer: key.body.key as string }]) {
      for (const [method, path, body] of attempts) {
        const response = await call(method, path, auth, body);
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
      }
    }
    expect(await before()).toEqual(snapshot);
    expect((await call('get', `/api/v1/auth/environments/${other.environmentId}/session`, { bearer: bUser.sessionToken })).status).toBe(200);
  });

  it('takes no role that names a target: the original’s roles array is refused, on create and on a role change', async () => {
    const target = { role: 'owner', target: 'tenant', targetId: other.tenantId };
    const created = await call('post', `/api/v1/tenants/${tenant.tenantId}/accounts`, { cookie: tenant.cookie }, {
      name: 'Cross Grant',
      email: `x-${unique()}@example.com`,
      username: `x_${unique()}`,
      roles: [target],
    });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'roles' })]));
    const member = await addTenantAccount(server, tenant, 'user');
    for (const body of [{ role: target }, { role: 'owner', targetId: other.tenantId }, { roles: [target] }]) {
      const response = await call('patch', `/api/v1/tenants/${tenant.tenantId}/accounts/${member.accountId}/role`, { cookie: tenant.cookie }, body);
      expect(response.status).toBe(400);
    }
    expect((await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: member.accountId }).first()).role).toBe('user');
  });
});

describe('seed §6.3 hash or secret in any response: no answer carries a hash, a stored secret, or a password it was sent', () => {
  it('walks the answers of every kind of call, errors included, and finds none; shown-once secrets appear in their one answer only', async () => {
    const answers: Array<{ what: string; response: request.Response }> = [];
    const record = async (what: string, test: request.Test, status: number) => {
      const response = await test;
      expect({ what, status: response.status }).toEqual({ what, status });
      answers.push({ what, response });
      return response;
    };
    const queue = jest.spyOn(server.sump.services.mail, 'queue');
    try {
      const ownPasswords = Array.from({ length: 8 }, (_, i) => `secret passphrase ${i} ${unique()}`);
      const [ownerPassword, memberPassword, personPassword, changedPassword, resetPassword, refusedPassword, createdPassword, envChanged] =
        ownPasswords as [string, string, string, string, string, string, string, string];
      const created = await record('POST /tenants', request(server.url).post('/api/v1/tenants').send(tenantBody({ account: { password: ownerPassword } })), 201);
      const t = { tenantId: created.body.tenantId as string, environmentId: created.body.environmentId as string, cookie: cookieFrom(created)! };
      const ownerEmail = (await server.db('tenant_accounts').where({ tenant_id: t.tenantId }).first()).email as string;
      const owner: Auth = { cookie: t.cookie };
      const tAuth = `/api/v1/auth/tenants/${t.tenantId}`;
      const eAuth = `/api/v1/auth/environments/${t.environmentId}`;
      const tenantPath = `/api/v1/tenants/${t.tenantId}`;
      const envPath = `/api/v1/environments/${t.environmentId}`;

      // bad input that carries a password: the original echoed it, and its hash
      await record('POST /tenants 400', request(server.url).post('/api/v1/tenants').send(tenantBody({ account: { password: refusedPassword, passwordHash: 'x' } })), 400);
      await record('POST /tenants 400 short', request(server.url).post('/api/v1/tenants').send(tenantBody({ account: { password: 'short', phone: '555' } })), 400);

      // tenant sessions
      await record('login 200', call('post', `${tAuth}/login`, {}, { email: ownerEmail, password: ownerPassword }), 200);
      await record('login 401', call('post', `${tAuth}/login`, {}, { email: ownerEmail, password: refusedPassword }), 401);
      await record('login 400', call('post', `${tAuth}/login`, {}, { email: ownerEmail, password: refusedPassword, extra: 1 }), 400);
      await record('session', call('get', `${tAuth}/session`, owner), 200);
      await record('sessions', call('get', `${tAuth}/sessions`, owner), 200);

      // the tenant, its accounts
      await record('GET tenant', call('get', tenantPath, owner), 200);
      await record('PATCH tenant', call('patch', tenantPath, owner, { name: 'Renamed tenant' }), 200);
      await record('PATCH custom-property', call('patch', `${tenantPath}/custom-property`, owner, { plan: 'pro' }), 200);
      const member = await record(
        'POST account',
        call('post', `${tenantPath}/accounts`, owner, { name: 'Member One', email: `m-${unique()}@example.com`, username: `m_${unique()}`, password: memberPassword, role: 'admin' }),
        201,
      );
      await record(
        'POST account 409',
        call('post', `${tenantPath}/accounts`, owner, { name: 'Member Two', email: member.body.email, username: `m_${unique()}`, password: refusedPassword }),
        409,
      );
      await record(
        'POST account 400',
        call('post', `${tenantPath}/accounts`, owner, { name: 'Member Two', email: `m-${unique()}@example.com`, username: `m_${unique()}`, password: refusedPassword, passwordHash: 'x' }),
        400,
      );
      await record('POST account, no password', call('post', `${tenantPath}/accounts`, owner, { name: 'Member Three', email: `m-${unique()}@example.com`, username: `m_${unique()}` }), 201);
      await record('GET accounts', call('get', `${tenantPath}/accounts`, owner), 200);
      await record('GET account', call('get', `${tenantPath}/accounts/${member.body.id}`, owner), 200);
      await record('PATCH account', call('patch', `${tenantPath}/accounts/${member.body.id}`, owner, { name: 'Member Renamed' }), 200);
      await record('PATCH email', call('patch', `${tenantPath}/accounts/${member.body.id}/email`, owner, { email: `m-${unique()}@example.com` }), 200);
      await record('PATCH role', call('patch', `${tenantPath}/accounts/${member.body.id}/role`, owner, { role: 'user' }), 200);
      await record('disable', call('patch', `${tenantPath}/accounts/${member.body.id}/disable`, owner), 200);
      await record('enable', call('patch', `${tenantPath}/accounts/${member.body.id}/enable`, owner), 200);

      // API keys: the key is shown in its creation answer only
      const apiKey = await record('POST api-key', call('post', `${tenantPath}/api-keys`, owner, { name: 'script', role: 'admin' }), 201);
      await record('GET api-keys', call('get', `${tenantPath}/api-keys`, owner), 200);
      await record('GET tenant with the key', call('get', tenantPath, { bearer: apiKey.body.key }), 200);

      // environments, clients, keys, resources
      const environment = await record('POST environment', call('post', `${tenantPath}/environments`, owner, { name: `env-${unique()}` }), 201);
      await record('GET environments', call('get', `${tenantPath}/environments`, owner), 200);
      await record('PATCH environment', call('patch', `${tenantPath}/environments/${environment.body.id}`, owner, { settings: { branding: { displayName: 'Acme' } } }), 200);
      const client = await record('POST client', call('post', `${envPath}/clients`, owner, { name: 'Web app', redirectUris: [DEFAULT_REDIRECT_URI] }), 201);
      await record('GET clients', call('get', `${envPath}/clients`, owner), 200);
      await record('GET client', call('get', `${envPath}/clients/${client.body.clientId}`, owner), 200);
      const rotated = await record('rotate secret', call('post', `${envPath}/clients/${client.body.clientId}/secret`, owner), 200);
      await record('PATCH client', call('patch', `${envPath}/clients/${client.body.clientId}`, owner, { name: 'Web app 2' }), 200);
      await record('GET keys', call('get', `${envPath}/keys`, owner), 200);
      await record('rotate keys', call('post', `${envPath}/keys/rotate`, owner), 200);
      await record('POST resource', call('post', `${envPath}/resources`, owner, { identifier: `https://api.example/${unique()}`, name: 'API' }), 201);
      await record('GET resources', call('get', `${envPath}/resources`, owner), 200);

      // environment accounts and their sessions
      const made = await record(
        'POST env account',
        call('post', `${envPath}/accounts`, owner, { name: 'Made Person', email: `p-${unique()}@example.com`, username: `p_${unique()}`, password: createdPassword }),
        201,
      );
      await record(
        'POST env account 409',
        call('post', `${envPath}/accounts`, owner, { name: 'Made Person', email: made.body.email, username: `p_${unique()}`, password: refusedPassword }),
        409,
      );
      const signup = await record('signup', call('post', `${eAuth}/signup`, {}, signupBody({ password: personPassword })), 201);
      const personEmail = (await server.db('environment_accounts').where({ id: signup.body.accountId }).first()).email as string;
      await record('signup 409', call('post', `${eAuth}/signup`, {}, signupBody({ email: personEmail, password: refusedPassword })), 409);
      await record('signup 400', call('post', `${eAuth}/signup`, {}, signupBody({ password: refusedPassword, passwordHash: 'x' })), 400);
      const envLogin = await record('env login', call('post', `${eAuth}/login`, {}, { email: personEmail, password: personPassword }), 200);
      await record('env login 401', call('post', `${eAuth}/login`, {}, { email: personEmail, password: refusedPassword }), 401);
      const self: Auth = { bearer: envLogin.body.sessionToken };
      await record('env session', call('get', `${eAuth}/session`, self), 200);
      await record('env sessions', call('get', `${eAuth}/sessions`, self), 200);
      await record('GET env accounts', call('get', `${envPath}/accounts`, owner), 200);
      await record('GET env account', call('get', `${envPath}/accounts/${signup.body.accountId}`, owner), 200);
      await record('GET env account as itself', call('get', `${envPath}/accounts/${signup.body.accountId}`, self), 200);
      await record('PATCH env account', call('patch', `${envPath}/accounts/${signup.body.accountId}`, self, { name: 'Person Renamed' }), 200);
      await record('env custom-property', call('patch', `${envPath}/accounts/${signup.body.accountId}/custom-property`, owner, { tier: 'gold' }), 200);
      await record('env disable', call('patch', `${envPath}/accounts/${made.body.id}/disable`, owner), 200);
      const envChange = await record(
        'env change-password',
        call('post', `${eAuth}/change-password`, self, { currentPassword: personPassword, newPassword: envChanged }),
        200,
      );
      await record('env change-password 400', call('post', `${eAuth}/change-password`, { bearer: envChange.body.sessionToken }, { currentPassword: refusedPassword, newPassword: refusedPassword }), 400);

      // passwords: change, forgot, reset
      await record('change-password', call('post', `${tAuth}/change-password`, owner, { currentPassword: ownerPassword, newPassword: changedPassword }), 200);
      const ownerCookie = cookieFrom(answers[answers.length - 1]!.response)!;
      await record('forgot', call('post', `${tAuth}/forgot-password`, {}, { email: ownerEmail }), 200);
      const resetToken = await tokenMailedTo(queue, ownerEmail);
      await record('reset 400', call('post', `${tAuth}/reset-password`, {}, { token: resetToken, newPassword: 'short' }), 400);
      await record('reset', call('post', `${tAuth}/reset-password`, {}, { token: resetToken, newPassword: resetPassword }), 200);
      await record('reset again', call('post', `${tAuth}/reset-password`, {}, { token: resetToken, newPassword: resetPassword }), 400);
      await record('env forgot', call('post', `${eAuth}/forgot-password`, {}, { email: personEmail }), 200);
      const fresh = cookieFrom(await call('post', `${tAuth}/login`, {}, { email: ownerEmail, password: resetPassword }))!;
      await record('audit events', call('get', `${tenantPath}/audit-events?limit=100`, { cookie: fresh }), 200);
      await record('401', call('get', tenantPath, { cookie: ownerCookie }), 401);
      await record('404', call('get', `/api/v1/tenants/${MISSING}`, { cookie: fresh }), 404);

      // What must never show: every hash and ciphertext sump stores for this tenant, every password it was sent.
      const stored: string[] = [];
      for (const table of ['tenant_accounts', 'environment_accounts', 'api_sessions', 'api_keys', 'link_tokens', 'oidc_clients', 'signing_keys', 'mail_outbox']) {
        for (const row of await server.db(table).where({ tenant_id: t.tenantId })) {
          for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
            if (/hash|encrypted/.test(column) && typeof value === 'string') stored.push(value);
          }
        }
      }
      expect(stored.filter((value) => value.startsWith('$argon2id$')).length).toBeGreaterThanOrEqual(4);
      expect(stored.length).toBeGreaterThan(15);
      const never = [...stored, ...ownPasswords, resetToken];
      // Shown once, in the answer that made them: the client's secrets, the API key, the session tokens.
      const shownOnce = [client.body.clientSecret, rotated.body.clientSecret, apiKey.body.key, signup.body.sessionToken, envLogin.body.sessionToken, envChange.body.sessionToken];
      expect(shownOnce.every((value) => typeof value === 'string' && value.length >= 20)).toBe(true);

      const leaks: string[] = [];
      for (const { what, response } of answers) {
        const headers = Object.entries(response.headers).filter(([name]) => name !== 'set-cookie');
        const strings = [...allStrings(response.body), ...allStrings(Object.fromEntries(headers)), response.text ?? ''];
        for (const value of never) if (strings.some((text) => text.includes(value))) leaks.push(`${what}: ${value.slice(0, 12)}…`);
        if (strings.some((text) => text.includes('$argon2'))) leaks.push(`${what}: an argon2 hash`);
        for (const key of keysOf(response.body)) if (SECRET_FIELD.test(key)) leaks.push(`${what}: a field named ${key}`);
      }
      for (const secret of shownOnce as string[]) {
        const holders = answers.filter((answer) => (answer.response.text ?? '').includes(secret)).map((answer) => answer.what);
        if (holders.length !== 1) leaks.push(`${secret.slice(0, 6)}… shown in ${holders.length} answers: ${holders.join(', ')}`);
      }
      expect([...new Set(leaks)]).toEqual([]);
    } finally {
      queue.mockRestore();
    }
  });
});

describe('seed §6.4 lookups leaking other tenants: a lookup by identifier finds accounts of its own tenant or environment only', () => {
  it('forgot-password with another tenant’s or environment’s identifier answers the same and makes no link for that account', async () => {
    const foreigner = await signupUser(server, other.environmentId);
    const answers = [
      await call('post', `/api/v1/auth/tenants/${tenant.tenantId}/forgot-password`, {}, { email: other.email }),
      await call('post', `/api/v1/auth/tenants/${tenant.tenantId}/forgot-password`, {}, { username: other.username }),
      await call('post', `/api/v1/auth/environments/${tenant.environmentId}/forgot-password`, {}, { email: foreigner.email }),
      await call('post', `/api/v1/auth/environments/${tenant.environmentId}/forgot-password`, {}, { username: foreigner.username }),
      // a tenant account's identifier is no environment account's, and the other way round
      await call('post', `/api/v1/auth/environments/${other.environmentId}/forgot-password`, {}, { email: other.email }),
      await call('post', `/api/v1/auth/tenants/${other.tenantId}/forgot-password`, {}, { email: foreigner.email }),
    ];
    for (const response of answers) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: 'If an account exists with this identifier, a reset link has been sent.' });
    }
    for (const accountId of [other.accountId, foreigner.accountId]) {
      expect(await countRows(server.db, 'link_tokens', { account_id: accountId, purpose: 'reset_password' })).toBe(0);
    }
  });

  it('signs in with no identifier of another tenant, by email, username or phone', async () => {
    const phone = `+1415${Math.floor(1e6 + Math.random() * 8e6)}`;
    const foreign = await createTenant(server, { account: { phone } });
    for (const identifier of [{ email: foreign.email }, { username: foreign.username }, { phone }]) {
      const response = await call('post', `/api/v1/auth/tenants/${tenant.tenantId}/login`, {}, { ...identifier, password: foreign.password });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('auth.invalid_credentials');
    }
    expect((await call('post', `/api/v1/auth/tenants/${foreign.tenantId}/login`, {}, { phone, password: foreign.password })).status).toBe(200);
  });

  it('combines list filters with AND inside the environment (the original’s `a OR b AND tenant` matched other tenants)', async () => {
    const mine = await signupUser(server, tenant.environmentId);
    const second = await signupUser(server, tenant.environmentId);
    const foreigner = await signupUser(server, other.environmentId);
    const list = (query: string) => call('get', `/api/v1/environments/${tenant.environmentId}/accounts?${query}`);
    const ids = async (query: string) => {
      const response = await list(query);
      expect(response.status).toBe(200);
      return (response.body.items as Array<{ id: string }>).map((item) => item.id);
    };
    const q = (email: string, username?: string) =>
      `email=${encodeURIComponent(email)}${username ? `&username=${encodeURIComponent(username)}` : ''}`;
    expect(await ids(q(mine.email, mine.username))).toEqual([mine.accountId]);
    expect(await ids(q(foreigner.email))).toEqual([]);
    expect(await ids(`username=${foreigner.username}`)).toEqual([]);
    expect(await ids(q(mine.email, foreigner.username))).toEqual([]);
    expect(await ids(q(foreigner.email, mine.username))).toEqual([]);
    expect(await ids(q(mine.email, second.username))).toEqual([]);
  });
});

describe('seed §6.6 reset hygiene: reset tokens bound to their place, X-Forwarded-For ignored without TRUST_PROXY, no token in any log', () => {
  it('refuses a tenant account’s reset token at another tenant and at an environment, and takes it at its own tenant', async () => {
    const queue = jest.spyOn(server.sump.services.mail, 'queue');
    try {
      const owner = await createTenant(server);
      const forgot = await call('post', `/api/v1/auth/tenants/${owner.tenantId}/forgot-password`, {}, { email: owner.email });
      expect(forgot.status).toBe(200);
      const token = await tokenMailedTo(queue, owner.email);
      const elsewhere = [
        `/api/v1/auth/tenants/${other.tenantId}/reset-password`,
        `/api/v1/auth/environments/${owner.environmentId}/reset-password`,
        `/api/v1/auth/environments/${other.environmentId}/reset-password`,
      ];
      for (const path of elsewhere) {
        const response = await call('post', path, {}, { token, newPassword: 'a new passphrase here' });
        expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 400, code: 'auth.invalid_token' });
      }
      const page = await request(server.url).get(`/oidc/${owner.environmentId}/reset-password?token=${token}`);
      expect(page.status).toBe(400);
      const reset = await call('post', `/api/v1/auth/tenants/${owner.tenantId}/reset-password`, {}, { token, newPassword: 'a new passphrase here' });
      expect(reset.status).toBe(200);
    } finally {
      queue.mockRestore();
    }
  });

  it('rate-limits forgot-password of an environment per identifier', async () => {
    const person = await signupUser(server, tenant.environmentId);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await call('post', `/api/v1/auth/environments/${tenant.environmentId}/forgot-password`, {}, { email: person.email.toUpperCase() })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  describe('X-Forwarded-For', () => {
    let proxied: TestServer;
    beforeAll(async () => {
      proxied = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    });
    afterAll(async () => {
      await proxied.close();
    });
    const loginAttempts = async (target: TestServer, environmentId: string) => {
      const statuses: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        const response = await request(target.url)
          .post(`/api/v1/auth/environments/${environmentId}/login`)
          .set('X-Forwarded-For', `203.0.113.${attempt}`)
          .send({ email: `nobody-${unique()}@example.com`, password: 'whatever it is' });
        statuses.push(response.status);
      }
      return statuses;
    };
    const sessionAddress = async (target: TestServer, token: string) =>
      (await target.db('api_sessions').where({ token_hash: sha256Hex(token) }).first()).ip_address as string;

    it('is not believed by default: a forged address neither escapes the per-address limit nor is recorded', async () => {
      const environmentId = await createEnvironmentWithSettings(server, tenant, { rateLimits: { loginsPerAddress: 3 } });
      expect(await loginAttempts(server, environmentId)).toEqual([401, 401, 401, 429]);
      const signup = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/signup`)
        .set('X-Forwarded-For', '203.0.113.9')
        .send(signupBody());
      expect(signup.status).toBe(201);
      expect(await sessionAddress(server, signup.body.sessionToken)).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      const login = await request(server.url)
        .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
        .set('X-Forwarded-For', '203.0.113.10')
        .send({ email: tenant.email, password: tenant.password });
      expect(login.status).toBe(200);
      const event = await server.db('audit_events').where({ tenant_id: tenant.tenantId, action: 'tenant_account.signed_in' }).orderBy('at', 'desc').first();
      expect(event.ip).not.toBe('203.0.113.10');
    });

    it('is believed with TRUST_PROXY=true (so the test above can fail)', async () => {
      const owner = await createTenant(proxied);
      const environmentId = await createEnvironmentWithSettings(proxied, owner, { rateLimits: { loginsPerAddress: 3 } });
      expect(await loginAttempts(proxied, environmentId)).toEqual([401, 401, 401, 401]);
      const signup = await request(proxied.url)
        .post(`/api/v1/auth/environments/${owner.environmentId}/signup`)
        .set('X-Forwarded-For', '203.0.113.9')
        .send(signupBody());
      expect(await sessionAddress(proxied, signup.body.sessionToken)).toBe('203.0.113.9');
      // a forwarded address longer than any column is cut, not a 500
      const long = await request(proxied.url)
        .post(`/api/v1/auth/tenants/${owner.tenantId}/login`)
        .set('X-Forwarded-For', `${'a'.repeat(300)}, 203.0.113.11`)
        .send({ email: owner.email, password: owner.password });
      expect(long.status).toBe(200);
    });
  });

  describe('the log', () => {
    let logged: string;
    let logServer: TestServer;
    beforeAll(async () => {
      logged = '';
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged += chunk.toString('utf8');
          done();
        },
      });
      logServer = await startTestServer({ logger: createLogger({ ...testConfig(), logLevel: 'trace' }, sink) });
    });
    afterAll(async () => {
      await logServer.close();
    });

    it('carries no password, session token, reset token, client secret or API key, at the finest level', async () => {
      const queue = jest.spyOn(logServer.sump.services.mail, 'queue');
      try {
        const api = (method: Method, path: string, auth: Auth = {}, body?: unknown) => callApi(logServer, method, path, auth, body);
        const owner = await createTenant(logServer);
        const secrets: string[] = [owner.password, owner.cookie.split('=')[1] as string];
        const person = await signupUser(logServer, owner.environmentId, { password: 'person passphrase 1' });
        secrets.push(person.password, person.sessionToken as string);
        const login = await api('post', `/api/v1/auth/environments/${owner.environmentId}/login`, {}, { email: person.email, password: person.password });
        secrets.push(login.body.sessionToken);
        await api('post', `/api/v1/auth/environments/${owner.environmentId}/login`, {}, { email: person.email, password: 'a wrong passphrase 2' });
        secrets.push('a wrong passphrase 2');
        const client = await createClient(logServer, owner);
        secrets.push(client.clientSecret as string);
        const key = await api('post', `/api/v1/tenants/${owner.tenantId}/api-keys`, { cookie: owner.cookie }, { name: 'script', role: 'admin' });
        secrets.push(key.body.key);
        await api('get', `/api/v1/tenants/${owner.tenantId}`, { bearer: key.body.key });
        await api('post', `/api/v1/auth/tenants/${owner.tenantId}/forgot-password`, {}, { email: owner.email });
        const token = await tokenMailedTo(queue, owner.email, logServer);
        secrets.push(token);
        // the hosted page opened from the mail, then the API
        expect((await request(logServer.url).get(`/tenants/${owner.tenantId}/reset-password?token=${token}`)).status).toBe(200);
        const reset = await api('post', `/api/v1/auth/tenants/${owner.tenantId}/reset-password`, {}, { token, newPassword: 'reset passphrase 3' });
        expect(reset.status).toBe(200);
        secrets.push('reset passphrase 3');
        // a refused body that carries a password, and an unexpected failure
        await api('post', '/api/v1/tenants', {}, tenantBody({ account: { password: 'refused passphrase 4', passwordHash: 'x' } }));
        secrets.push('refused passphrase 4');
        const stored = await logServer.db('api_sessions').where({ tenant_id: owner.tenantId }).select('token_hash');
        secrets.push(...stored.map((row: { token_hash: string }) => row.token_hash));

        expect(logged).toContain('"msg":"request"');
        expect(logged).toContain('"msg":"mail queued"');
        const found = secrets.filter((secret) => logged.includes(secret)).map((secret) => `${secret.slice(0, 6)}…`);
        expect(found).toEqual([]);
        expect(logged).not.toContain('$argon2');
      } finally {
        queue.mockRestore();
      }
    });
  });
});

describe('seed §6.12 inconsistent answers to bad ids: every route answers a malformed id with 400 and an unknown one with 404', () => {
  let person: TestUser;
  let ids: Record<string, string>;
  beforeAll(async () => {
    person = await signupUser(server, tenant.environmentId);
    const client = await createClient(server, tenant);
    const key = await call('post', `/api/v1/tenants/${tenant.tenantId}/api-keys`, { cookie: tenant.cookie }, { name: 'k', role: 'admin' });
    const resource = await call('post', `/api/v1/environments/${tenant.environmentId}/resources`, { cookie: tenant.cookie }, {
      identifier: `https://api.example/${unique()}`,
      name: 'An API',
    });
    expect([key.status, resource.status]).toEqual([201, 201]);
    ids = { tenantId: tenant.tenantId, environmentId: tenant.environmentId, clientId: client.clientId, keyId: key.body.id, resourceId: resource.body.id };
  });

  /** The route's path with every parameter filled in with a real id of `tenant`, `replace` with its own value. */
  const fill = (path: string, replace: Record<string, string> = {}) =>
    path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      if (name in replace) return replace[name] as string;
      if (name === 'accountId') return path.startsWith('/api/v1/environments/') ? person.accountId : tenant.accountId;
      const id = ids[name];
      if (!id) throw new Error(`no id for :${name} in ${path}`);
      return id;
    });
  // The tenant owner's cookie and the end user's session: whichever the route takes.
  const both = (): Auth => ({ cookie: tenant.cookie, bearer: person.sessionToken });
  const bodyFor = (method: Method) => (method === 'get' || method === 'delete' ? undefined : {});
  /** A body that passes validation, so that the sub-entity's existence is what is checked (it comes after the body). */
  const validBodyFor = (method: Method, path: string): unknown => {
    const tail = /\/accounts\/:accountId(\/[a-z-]+)?$/.exec(path)?.[1] ?? (path.endsWith('/:accountId') ? '' : undefined);
    if (tail === undefined) return bodyFor(method);
    if (method === 'delete') return tail === '/custom-property' ? { customProperty: 'a' } : undefined;
    if (method !== 'patch') return bodyFor(method);
    const bodies: Record<string, unknown> = {
      '': { name: 'Valid Name' },
      '/email': { email: `valid-${unique()}@example.com` },
      '/username': { username: `valid_${unique()}` },
      '/phone': { phone: '+14155550123' },
      '/role': { role: 'user' },
      '/custom-property': { a: 1 },
    };
    return tail in bodies ? bodies[tail] : {};
  };

  it('lists the routes it checks (the router is read, so a new route is checked too)', () => {
    const withIds = apiRoutes().filter((route) => route.params.length > 0);
    expect(withIds.length).toBeGreaterThan(40);
    expect(withIds.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining([
        'post /api/v1/auth/environments/:environmentId/login',
        'patch /api/v1/environments/:environmentId/accounts/:accountId/custom-property',
        'patch /api/v1/tenants/:tenantId/custom-property',
        'post /api/v1/environments/:environmentId/accounts',
      ]),
    );
  });

  it('answers 400 request.invalid_id naming the parameter for a malformed id, on every route (never 403, 404 or 500)', async () => {
    const wrong: string[] = [];
    for (const route of apiRoutes()) {
      for (const param of route.params) {
        const path = fill(route.path, { [param]: param === 'clientId' ? 'bad!' : 'not-a-uuid' });
        const response = await call(route.method, path, both(), bodyFor(route.method));
        const named = Array.isArray(response.body.errors) && response.body.errors.some((error: { field: string }) => error.field === param);
        if (response.status !== 400 || response.body.code !== 'request.invalid_id' || !named) {
          wrong.push(`${route.method} ${route.path} (:${param}) → ${response.status} ${response.body.code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers a well-formed id that names nothing with a 404 *.not_found on every route (never 2xx, 400 or 500)', async () => {
    const unknownFor = (param: string) => (param === 'clientId' ? MISSING_CLIENT_ID : MISSING);
    const wrong: string[] = [];
    for (const route of apiRoutes()) {
      for (const param of route.params) {
        const response = await call(route.method, fill(route.path, { [param]: unknownFor(param) }), both(), validBodyFor(route.method, route.path));
        // A session lives in its tenant or environment only: at another one it is no credential (401),
        // and logging out there ends nothing and answers 204, as logging out without a session does.
        const sessionRoute = route.path.startsWith('/api/v1/auth/') && /session|change-password|logout-all/.test(route.path);
        const logout = route.path.endsWith('/logout');
        const expected = logout ? 204 : sessionRoute && response.status === 401 ? 401 : 404;
        if (response.status !== expected || (expected === 404 && !String(response.body.code).endsWith('not_found'))) {
          wrong.push(`${route.method} ${route.path} (:${param}) → ${response.status} ${response.body.code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // the logouts ended nothing: both sessions still answer
    expect((await call('get', `/api/v1/auth/tenants/${tenant.tenantId}/session`)).status).toBe(200);
    expect((await call('get', `/api/v1/auth/environments/${tenant.environmentId}/session`, { bearer: person.sessionToken })).status).toBe(200);
  });
});

describe('seed §6.14 half-created tenants: a failure at the last step of tenant creation leaves nothing behind', () => {
  it('rolls back the tenant, its owner, its environment and its signing keys when the session cannot be issued', async () => {
    const body = tenantBody({ environment: { name: `half-${unique()}` } });
    const issue = jest.spyOn(server.sump.services.apiSessions, 'issue').mockRejectedValueOnce(new Error('session store failed'));
    try {
      const response = await request(server.url).post('/api/v1/tenants').send(body);
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ code: 'internal' });
      expect(JSON.stringify(response.body)).not.toMatch(/session store failed|insert/i);
      expect(issue).toHaveBeenCalledTimes(1);
    } finally {
      issue.mockRestore();
    }
    expect(await countRows(server.db, 'tenants', { name: body.tenant.name })).toBe(0);
    expect(await countRows(server.db, 'tenant_accounts', { email_normalized: body.account.email })).toBe(0);
    expect(await countRows(server.db, 'environments', { name: body.environment!.name })).toBe(0);
    // the same body works once nothing fails: nothing of the first try is in its way
    const again = await request(server.url).post('/api/v1/tenants').send(body);
    expect(again.status).toBe(201);
    expect(await countRows(server.db, 'signing_keys', { tenant_id: again.body.tenantId })).toBe(2);
  });
});

describe('seed §6.14 names over 255 characters and other over-long text: 400 naming the field, never 500', () => {
  const longCases: Array<[string, Method, () => string, () => unknown, string]> = [
    ['an environment name of 256 in POST /tenants', 'post', () => '/api/v1/tenants', () => tenantBody({ environment: { name: 'e'.repeat(256) } }), 'environment.name'],
    ['an environment name of 256 in PATCH', 'patch', () => `/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`, () => ({ name: 'e'.repeat(256) }), 'name'],
    ['a branding displayName of 101', 'patch', () => `/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`, () => ({ settings: { branding: { displayName: 'd'.repeat(101) } } }), 'settings.branding.displayName'],
    ['a client name of 101', 'post', () => `/api/v1/environments/${tenant.environmentId}/clients`, () => ({ name: 'c'.repeat(101), redirectUris: [DEFAULT_REDIRECT_URI] }), 'name'],
    ['a resource name of 101', 'post', () => `/api/v1/environments/${tenant.environmentId}/resources`, () => ({ identifier: `https://api.example/${unique()}`, name: 'r'.repeat(101) }), 'name'],
    ['an API key name of 101', 'post', () => `/api/v1/tenants/${tenant.tenantId}/api-keys`, () => ({ name: 'k'.repeat(101), role: 'admin' }), 'name'],
    ['an account name of 101', 'post', () => `/api/v1/tenants/${tenant.tenantId}/accounts`, () => ({ name: 'n'.repeat(101), email: `a-${unique()}@example.com`, username: `a_${unique()}` }), 'name'],
    // 64 + 1 + 4 × 62 + 8 = 321 characters, each part within its own limit
    ['an email of 321', 'post', () => `/api/v1/environments/${tenant.environmentId}/accounts`, () => ({ name: 'Long Mail', email: `${'m'.repeat(64)}@${`${'d'.repeat(61)}.`.repeat(4)}examples`, username: `a_${unique()}` }), 'email'],
    ['a signup name of 101', 'post', () => `/api/v1/auth/environments/${tenant.environmentId}/signup`, () => signupBody({ name: 'n'.repeat(101) }), 'name'],
  ];
  it.each(longCases)('%s', async (_what, method, path, body, field) => {
    const response = await call(method, path(), { cookie: tenant.cookie }, body());
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('sends mail for a tenant and an environment whose names are 255 characters long (a mail subject holds them)', async () => {
    const long = await createTenant(server, { tenant: { name: `T${'x'.repeat(254)}` }, environment: { name: `E${'y'.repeat(254)}` } });
    const forgot = await call('post', `/api/v1/auth/tenants/${long.tenantId}/forgot-password`, {}, { email: long.email });
    expect(forgot.status).toBe(200);
    const member = await call('post', `/api/v1/tenants/${long.tenantId}/accounts`, { cookie: long.cookie }, {
      name: 'No Password',
      email: `np-${unique()}@example.com`,
      username: `np_${unique()}`,
    });
    expect(member.status).toBe(201);
    const person = await signupUser(server, long.environmentId);
    const envForgot = await call('post', `/api/v1/auth/environments/${long.environmentId}/forgot-password`, {}, { email: person.email });
    expect(envForgot.status).toBe(200);
    await server.sump.services.linkRequests.processLinkRequests();
    const subjects = (await server.db('mail_outbox').where({ tenant_id: long.tenantId }).select('subject')).map((row: { subject: string }) => row.subject);
    expect(subjects.length).toBeGreaterThanOrEqual(3);
    expect(subjects.some((subject) => subject.startsWith('Reset your password for T') && subject.endsWith('…'))).toBe(true);
    for (const subject of subjects) expect([...subject].length).toBeLessThanOrEqual(255);
  });
});

describe('seed §6.16 a disabled account: none of its sessions answers, and a correct password tells nothing', () => {
  it('refuses every session route of a disabled tenant account and a disabled environment account (401)', async () => {
    const admin = await addTenantAccount(server, tenant, 'admin');
    const person = await signupUser(server, tenant.environmentId);
    // disabled behind the API's back (another node, a script): the sessions are still there
    await server.db('tenant_accounts').where({ tenant_id: tenant.tenantId, id: admin.accountId }).update({ disabled: true });
    await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: person.accountId }).update({ disabled: true });
    const tAuth = `/api/v1/auth/tenants/${tenant.tenantId}`;
    const eAuth = `/api/v1/auth/environments/${tenant.environmentId}`;
    const change = { currentPassword: DEFAULT_PASSWORD, newPassword: 'a new passphrase here' };
    const calls: Array<[Method, string, Auth, unknown]> = [
      ['get', `${tAuth}/session`, { cookie: admin.cookie }, undefined],
      ['get', `${tAuth}/sessions`, { cookie: admin.cookie }, undefined],
      ['post', `${tAuth}/logout-all`, { cookie: admin.cookie }, undefined],
      ['post', `${tAuth}/change-password`, { cookie: admin.cookie }, change],
      ['get', `/api/v1/tenants/${tenant.tenantId}/accounts`, { cookie: admin.cookie }, undefined],
      ['get', `${eAuth}/session`, { bearer: person.sessionToken }, undefined],
      ['get', `${eAuth}/sessions`, { bearer: person.sessionToken }, undefined],
      ['post', `${eAuth}/logout-all`, { bearer: person.sessionToken }, undefined],
      ['post', `${eAuth}/change-password`, { bearer: person.sessionToken }, change],
      ['get', `/api/v1/environments/${tenant.environmentId}/accounts/${person.accountId}`, { bearer: person.sessionToken }, undefined],
    ];
    for (const [method, path, auth, body] of calls) {
      const response = await call(method, path, auth, body);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
    }
    expect(await countRows(server.db, 'api_sessions', { account_id: admin.accountId })).toBe(1);
    expect((await server.db('tenant_accounts').where({ id: admin.accountId }).first()).password_hash).toMatch(/^\$argon2id\$/);
  });

  it('answers the right password of a disabled account on the hosted login page exactly as a wrong one', async () => {
    const person = await signupUser(server, tenant.environmentId);
    await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: person.accountId }).update({ disabled: true });
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    const wrong = await browser.submit(login, { identifier: person.email, password: 'not the password at all' });
    const right = await browser.submit(wrong, { identifier: person.email, password: person.password });
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(wrong.status);
    expect(pageText(right)).toBe(pageText(wrong));
    expect(pageText(right)).not.toMatch(/disabled/i);
  });
});

describe('seed §6.17 an account with the lowest role can read its own account', () => {
  it('an account created with no role (user by default) signs in and reads itself, its tenant and its colleagues', async () => {
    const body = { name: 'Plain User', email: `plain-${unique()}@example.com`, username: `plain_${unique()}`, password: DEFAULT_PASSWORD };
    const created = await call('post', `/api/v1/tenants/${tenant.tenantId}/accounts`, { cookie: tenant.cookie }, body);
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('user');
    const login = await call('post', `/api/v1/auth/tenants/${tenant.tenantId}/login`, {}, { email: body.email, password: body.password });
    expect(login.status).toBe(200);
    const cookie = cookieFrom(login)!;
    const own = await call('get', `/api/v1/tenants/${tenant.tenantId}/accounts/${created.body.id}`, { cookie });
    expect(own.status).toBe(200);
    expect(own.body).toEqual(created.body);
    expect((await call('get', `/api/v1/tenants/${tenant.tenantId}`, { cookie })).status).toBe(200);
    expect((await call('get', `/api/v1/tenants/${tenant.tenantId}/accounts`, { cookie })).status).toBe(200);
    const renamed = await call('patch', `/api/v1/tenants/${tenant.tenantId}/accounts/${created.body.id}`, { cookie }, { name: 'Plain User Renamed' });
    expect(renamed.status).toBe(200);
    // and no more than that
    expect((await call('patch', `/api/v1/tenants/${tenant.tenantId}`, { cookie }, { name: 'Not yours' })).status).toBe(403);
  });
});

describe('seed §6.18 expired sessions and used or expired tokens are purged', () => {
  it('the background clean-up deletes expired API sessions and used, expired link tokens, and keeps what is live', async () => {
    const queue = jest.spyOn(server.sump.services.mail, 'queue');
    try {
      const owner = await createTenant(server);
      const person = await signupUser(server, owner.environmentId);
      await server.db('api_sessions').where({ token_hash: sha256Hex(person.sessionToken as string) }).update({ expires_at: new Date(Date.now() - 1000) });

      await call('post', `/api/v1/auth/tenants/${owner.tenantId}/forgot-password`, {}, { email: owner.email });
      const token = await tokenMailedTo(queue, owner.email);
      expect((await call('post', `/api/v1/auth/tenants/${owner.tenantId}/reset-password`, {}, { token, newPassword: 'a new passphrase here' })).status).toBe(200);
      const resets = { tenant_id: owner.tenantId, purpose: 'reset_password' };
      const used = await server.db('link_tokens').where(resets).first();
      expect(used.used_at).not.toBeNull();
      // used now, its hour passes
      await server.db('link_tokens').where({ tenant_id: owner.tenantId, id: used.id }).update({ expires_at: new Date(Date.now() - 1000) });
      await call('post', `/api/v1/auth/tenants/${owner.tenantId}/forgot-password`, {}, { username: owner.username });
      await server.sump.services.linkRequests.processLinkRequests();

      const signIn = async () =>
        cookieFrom(await call('post', `/api/v1/auth/tenants/${owner.tenantId}/login`, {}, { email: owner.email, password: 'a new passphrase here' }))!;
      const expiredHash = sha256Hex((await signIn()).split('=')[1] as string);
      await server.db('api_sessions').where({ token_hash: expiredHash }).update({ expires_at: new Date(Date.now() - 1000) });
      const live = await signIn();

      expect(await deleteExpiredRows(server.db)).toBeGreaterThanOrEqual(3);
      expect(await countRows(server.db, 'api_sessions', { token_hash: expiredHash })).toBe(0);
      expect(await countRows(server.db, 'api_sessions', { account_id: person.accountId })).toBe(0);
      expect(await countRows(server.db, 'link_tokens', { tenant_id: owner.tenantId, id: used.id })).toBe(0);
      // what is live stays
      expect(await countRows(server.db, 'link_tokens', resets)).toBe(1);
      expect(await countRows(server.db, 'api_sessions', { token_hash: sha256Hex(live.split('=')[1] as string) })).toBe(1);
      expect((await call('get', `/api/v1/auth/tenants/${owner.tenantId}/session`, { cookie: live })).status).toBe(200);
    } finally {
      queue.mockRestore();
    }
  });
});
