import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  addTenantAccount,
  allStrings,
  cookieFrom,
  countRows,
  createEnvironment,
  createEnvironmentWithSettings,
  DEFAULT_PASSWORD,
  signupUser,
  startServerWithTenants,
  unique,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('environment accounts: /api/v1/environments/:envId/accounts', () => {
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

  type Auth = { cookie?: string | undefined; bearer?: string | null | undefined };
  const base = (environmentId = tenant.environmentId) => `/api/v1/environments/${environmentId}/accounts`;
  const call = (method: 'get' | 'post' | 'patch' | 'delete', path: string, auth: Auth = { cookie: tenant.cookie }) => {
    const test = request(server.url)[method](path);
    if (auth.cookie) test.set('Cookie', auth.cookie);
    if (auth.bearer) test.set('Authorization', `Bearer ${auth.bearer}`);
    return test;
  };
  const accountBody = (overrides: Record<string, unknown> = {}) => {
    const id = unique();
    return { name: 'Grace Hopper', email: `person-${id}@example.com`, username: `person_${id}`, ...overrides };
  };
  const create = (body: Record<string, unknown> = accountBody(), auth?: Auth, environmentId?: string) =>
    call('post', base(environmentId), auth).send(body);
  const row = (accountId: string) => server.db('environment_accounts').where({ id: accountId }).first();
  const self = (person: TestUser): Auth => ({ bearer: person.sessionToken });
  const sessionWorks = async (person: TestUser, environmentId = tenant.environmentId) =>
    (await call('get', `/api/v1/auth/environments/${environmentId}/session`, self(person))).status === 200;

  describe('POST /', () => {
    it('creates an account (owner or admin) and answers it without any hash', async () => {
      const body = accountBody({
        password: DEFAULT_PASSWORD,
        phone: '+14155550001',
        avatarUrl: 'https://example.com/a.png',
        address: { locality: 'Paris', country: 'FR' },
        customProperties: { plan: 'pro' },
        emailVerified: true,
      });
      const response = await create(body, { cookie: admin.cookie });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        tenantId: tenant.tenantId,
        environmentId: tenant.environmentId,
        name: body.name,
        email: body.email,
        emailVerified: true,
        username: body.username,
        phone: '+14155550001',
        phoneVerified: false,
        avatarUrl: 'https://example.com/a.png',
        address: { locality: 'Paris', country: 'FR' },
        customProperties: { plan: 'pro' },
        hasPassword: true,
        disabled: false,
        disabledAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const stored = await row(response.body.id);
      expect(stored.password_hash).toMatch(/^\$argon2id\$/);
      expect(allStrings(response.body)).not.toContain(stored.password_hash);
      const login = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/login`)
        .send({ email: body.email, password: DEFAULT_PASSWORD });
      expect(login.status).toBe(200);
    });

    it('creates an account without a password, which cannot sign in yet', async () => {
      const body = accountBody();
      const response = await create(body);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ hasPassword: false, emailVerified: false, customProperties: {}, address: null, phone: null });
      expect((await row(response.body.id)).password_hash).toBeNull();
    });

    it.each([
      ['no name', { name: undefined }, 'name'],
      ['a 2-character name', { name: 'Al' }, 'name'],
      ['a bad email', { email: 'nope' }, 'email'],
      ['a username with a space', { username: 'has space' }, 'username'],
      ['a 21-character username', { username: 'x'.repeat(21) }, 'username'],
      ['a non-E.164 phone', { phone: '555' }, 'phone'],
      ['an ftp avatar', { avatarUrl: 'ftp://example.com/a.png' }, 'avatarUrl'],
      ['a 7-character password', { password: 'short12' }, 'password'],
      ['a 257-character password', { password: 'x'.repeat(257) }, 'password'],
      ['a passwordHash', { passwordHash: '$argon2id$forged' }, 'passwordHash'],
      ['disabled', { disabled: true }, 'disabled'],
      ['customProperties as an array', { customProperties: [1] }, 'customProperties'],
      ['an unknown address field', { address: { planet: 'Mars' } }, 'address.planet'],
    ])('refuses %s with 400 and writes nothing', async (_what, overrides, field) => {
      const body = accountBody(overrides);
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await countRows(server.db, 'environment_accounts', { email_normalized: String(body.email) })).toBe(0);
    });

    it('keeps to the environment’s password policy', async () => {
      const environmentId = await createEnvironmentWithSettings(server, tenant, { passwordPolicy: { minLength: 20 } });
      const response = await create(accountBody({ password: 'twelve chars' }), undefined, environmentId);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
    });

    it('answers 409 naming the field for a taken email or username (any case), and 201 in another environment', async () => {
      const first = accountBody({ phone: '+14155550002' });
      expect((await create(first)).status).toBe(201);
      for (const [overrides, field] of [
        [{ email: String(first.email).toUpperCase() }, 'email'],
        [{ username: String(first.username).toUpperCase() }, 'username'],
        [{ phone: '+14155550002' }, 'phone'],
      ] as const) {
        const response = await create(accountBody(overrides));
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ code: `account.${field}_taken`, errors: [{ field }] });
      }
      const sibling = await createEnvironment(server, tenant);
      expect((await create(first, undefined, sibling.id)).status).toBe(201);
    });

    it('ten parallel creations of one email: exactly one 201 and nine 409', async () => {
      const email = `race-${unique()}@example.com`;
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => create(accountBody({ email }))),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      expect(answers.filter((answer) => answer.status === 409).every((answer) => answer.body.code === 'account.email_taken')).toBe(true);
      expect(await countRows(server.db, 'environment_accounts', { email_normalized: email })).toBe(1);
    });

    it('refuses a user (403), an environment session (403), another tenant’s environment (404), writing nothing', async () => {
      const body = accountBody();
      const forbidden = await create(body, { cookie: user.cookie });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('auth.forbidden');
      const person = await signupUser(server, tenant.environmentId);
      expect((await create(body, self(person))).status).toBe(403);
      const foreign = await create(body, undefined, other.environmentId);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('environment.not_found');
      expect((await create(body, undefined, MISSING)).status).toBe(404);
      expect(await countRows(server.db, 'environment_accounts', { email_normalized: String(body.email) })).toBe(0);
      expect((await create(body, {}, tenant.environmentId)).status).toBe(401);
      expect((await create(body, undefined, 'not-a-uuid')).status).toBe(400);
    });
  });

  describe('GET / and GET /:accountId', () => {
    it('lists the environment’s accounts to every role, filtered by the normalised email or username, paginated', async () => {
      const environment = await createEnvironment(server, tenant);
      const made = [];
      for (let i = 0; i < 3; i += 1) made.push((await create(accountBody(), undefined, environment.id)).body);
      const all = await call('get', `${base(environment.id)}?limit=2`, { cookie: user.cookie });
      expect(all.status).toBe(200);
      expect(all.body.items).toEqual(made.slice(0, 2));
      const rest = await call('get', `${base(environment.id)}?cursor=${all.body.nextCursor}`);
      expect(rest.body).toEqual({ items: made.slice(2), nextCursor: null });
      const byEmail = await call('get', `${base(environment.id)}?email=${encodeURIComponent(` ${made[1].email.toUpperCase()} `)}`);
      expect(byEmail.body).toEqual({ items: [made[1]], nextCursor: null });
      const byUsername = await call('get', `${base(environment.id)}?username=${made[2].username.toUpperCase()}`);
      expect(byUsername.body.items).toEqual([made[2]]);
      expect(allStrings(all.body).some((value) => value.startsWith('$argon2'))).toBe(false);
      expect((await call('get', `${base(environment.id)}?limit=0`)).status).toBe(400);
      expect((await call('get', `${base(environment.id)}?phone=1`)).status).toBe(400);
    });

    it('refuses another tenant’s environment (404) and an environment session (403)', async () => {
      expect((await call('get', base(other.environmentId))).status).toBe(404);
      const person = await signupUser(server, tenant.environmentId);
      expect((await call('get', base(), self(person))).status).toBe(403);
    });

    it('reads one account: any role, or the account itself; never another account, nor across tenants', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const stranger = await signupUser(server, tenant.environmentId);
      const path = `${base()}/${person.accountId}`;
      const asUser = await call('get', path, { cookie: user.cookie });
      expect(asUser.status).toBe(200);
      expect(asUser.body).toMatchObject({ id: person.accountId, email: person.email, hasPassword: true });
      expect(JSON.stringify(asUser.body)).not.toMatch(/argon2|passwordHash/);
      const asSelf = await call('get', path, self(person));
      expect(asSelf.body).toEqual(asUser.body);
      expect((await call('get', path, { cookie: person.cookie })).status).toBe(200);
      expect((await call('get', path, self(stranger))).status).toBe(403);
      expect((await call('get', `${base()}/${MISSING}`)).status).toBe(404);
      expect((await call('get', `${base()}/nope`)).status).toBe(400);
      const foreigner = await signupUser(server, other.environmentId);
      // B's account under A's environment, and B's environment with A's credential
      expect((await call('get', `${base()}/${foreigner.accountId}`)).status).toBe(404);
      expect((await call('get', `${base(other.environmentId)}/${foreigner.accountId}`)).status).toBe(404);
      // an environment session works in its own environment only
      expect((await call('get', `${base(other.environmentId)}/${person.accountId}`, self(person))).status).toBe(401);
    });
  });

  describe('PATCH /:accountId and the identifier routes', () => {
    it('lets an admin change the profile and emailVerified, answering the entity', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const response = await call('patch', `${base()}/${person.accountId}`, { cookie: admin.cookie }).send({
        name: 'Grace B. Hopper',
        avatarUrl: 'http://example.com/g.png',
        address: { formatted: '1 Navy Way' },
        customProperties: { rank: 'admiral' },
        emailVerified: true,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        name: 'Grace B. Hopper',
        avatarUrl: 'http://example.com/g.png',
        address: { formatted: '1 Navy Way' },
        customProperties: { rank: 'admiral' },
        emailVerified: true,
      });
      const cleared = await call('patch', `${base()}/${person.accountId}`).send({ avatarUrl: null, address: null });
      expect(cleared.body).toMatchObject({ avatarUrl: null, address: null, name: 'Grace B. Hopper' });
    });

    it('lets the account change its own profile, but no mass assignment (regression): passwordHash, disabled, emailVerified are 400', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const path = `${base()}/${person.accountId}`;
      const ok = await call('patch', path, self(person)).send({ name: 'Amazing Grace' });
      expect(ok.status).toBe(200);
      expect(ok.body.name).toBe('Amazing Grace');
      const before = await row(person.accountId);
      for (const forged of [{ passwordHash: 'x' }, { disabled: true }, { emailVerified: true }, { tenantId: other.tenantId }]) {
        for (const target of [path, `${path}/email`, `${path}/username`, `${path}/phone`]) {
          const response = await call('patch', target, self(person)).send({ name: 'Forged Name', email: 'f@example.com', ...forged });
          expect(response.status).toBe(400);
        }
      }
      expect(await row(person.accountId)).toEqual(before);
    });

    it.each([
      ['an empty body', {}, '(body)'],
      ['a short name', { name: 'ab' }, 'name'],
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['a javascript: avatar', { avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
    ])('refuses %s with 400', async (_what, body, field) => {
      const person = await signupUser(server, tenant.environmentId);
      const response = await call('patch', `${base()}/${person.accountId}`).send(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('changes the email (unverified again), phone and username; a taken one is a 409 naming it, nothing changed', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const taken = await signupUser(server, tenant.environmentId, { phone: '+14155550003' });
      const path = `${base()}/${person.accountId}`;
      await server.db('environment_accounts').where({ id: person.accountId }).update({ email_verified: true });
      const email = `new-${unique()}@example.com`;
      const changed = await call('patch', `${path}/email`, self(person)).send({ email: `  ${email}  ` });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email, emailVerified: false });
      expect((await row(person.accountId)).email_normalized).toBe(email);
      const phone = await call('patch', `${path}/phone`).send({ phone: '+14155550004' });
      expect(phone.body).toMatchObject({ phone: '+14155550004', phoneVerified: false });
      await server.db('environment_accounts').where({ id: person.accountId }).update({ email_verified: true });
      const recased = await call('patch', `${path}/email`, self(person)).send({ email: email.toUpperCase() });
      expect(recased.body).toMatchObject({ email: email.toUpperCase(), emailVerified: true });
      const username = `renamed_${unique()}`;
      expect((await call('patch', `${path}/username`, { cookie: admin.cookie }).send({ username })).body.username).toBe(username);

      const before = await row(person.accountId);
      for (const [suffix, body, field] of [
        ['email', { email: taken.email.toUpperCase() }, 'email'],
        ['username', { username: taken.username.toUpperCase() }, 'username'],
        ['phone', { phone: '+14155550003' }, 'phone'],
      ] as const) {
        const response = await call('patch', `${path}/${suffix}`, self(person)).send(body);
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ code: `account.${field}_taken`, errors: [{ field }] });
      }
      expect(await row(person.accountId)).toEqual(before);
      for (const [suffix, body] of [['email', { email: 'x' }], ['username', { username: 'a b' }], ['phone', { phone: '12' }]] as const) {
        expect((await call('patch', `${path}/${suffix}`).send(body)).status).toBe(400);
      }
    });

    it('refuses a user (403), another account’s session (403) and another tenant (404), changing nothing', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const stranger = await signupUser(server, tenant.environmentId);
      const foreigner = await signupUser(server, other.environmentId);
      const path = `${base()}/${person.accountId}`;
      const before = await row(person.accountId);
      for (const suffix of ['', '/email', '/username', '/phone', '/custom-property']) {
        const body = { name: 'Hacked Name', email: 'h@example.com', username: 'hacked', phone: '+14155550009', x: 1 };
        const pick = suffix === '' ? { name: body.name } : suffix === '/custom-property' ? { x: 1 } : { [suffix.slice(1)]: body[suffix.slice(1) as 'email'] };
        expect((await call('patch', `${path}${suffix}`, { cookie: user.cookie }).send(pick)).status).toBe(403);
        expect((await call('patch', `${path}${suffix}`, self(stranger)).send(pick)).status).toBe(403);
      }
      expect(await row(person.accountId)).toEqual(before);
      const foreignBefore = await row(foreigner.accountId);
      expect((await call('patch', `${base(other.environmentId)}/${foreigner.accountId}`).send({ name: 'Hacked Name' })).status).toBe(404);
      expect((await call('patch', `${base()}/${foreigner.accountId}`).send({ name: 'Hacked Name' })).status).toBe(404);
      expect(await row(foreigner.accountId)).toEqual(foreignBefore);
    });

    it('checks the origin and content type of writes through the environment cookie', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const path = `${base()}/${person.accountId}`;
      const crossSite = await call('patch', path, { cookie: person.cookie }).set('Sec-Fetch-Site', 'cross-site').send({ name: 'Cross Site' });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body.code).toBe('request.cross_origin');
      const form = await call('patch', path, { cookie: person.cookie }).type('form').send({ name: 'Form Post' });
      expect(form.status).toBe(415);
      expect((await row(person.accountId)).name).toBe(person.name);
      const ok = await call('patch', path, { cookie: person.cookie }).set('Sec-Fetch-Site', 'same-origin').send({ name: 'Same Site' });
      expect(ok.status).toBe(200);
    });
  });

  describe('custom properties', () => {
    it('sets every key given, literally, and removes one (regression: both were no-ops)', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const path = `${base()}/${person.accountId}/custom-property`;
      const set = await call('patch', path, self(person)).send({ tier: 'gold', 'a.b': 1, seats: 3 });
      expect(set.status).toBe(200);
      expect(set.body.customProperties).toEqual({ tier: 'gold', 'a.b': 1, seats: 3 });
      expect((await row(person.accountId)).custom_properties).toEqual({ tier: 'gold', 'a.b': 1, seats: 3 });
      const again = await call('patch', path, { cookie: admin.cookie }).send({ seats: 5 });
      expect(again.body.customProperties).toEqual({ tier: 'gold', 'a.b': 1, seats: 5 });
      const removed = await call('delete', path, self(person)).send({ customProperty: 'a.b' });
      expect(removed.status).toBe(200);
      expect((await row(person.accountId)).custom_properties).toEqual({ tier: 'gold', seats: 5 });
      expect((await call('patch', path).send({})).status).toBe(400);
      expect((await call('delete', path).send({ customProperty: 1 })).status).toBe(400);
      expect((await call('patch', `${base()}/${MISSING}/custom-property`).send({ a: 1 })).status).toBe(404);
      expect((await call('delete', path, { cookie: user.cookie }).send({ customProperty: 'tier' })).status).toBe(403);
      const fifty = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, i]));
      expect((await call('patch', path).send(fifty)).status).toBe(400);
    });
  });

  describe('disable, enable and delete', () => {
    it('disables (ending its API sessions) and enables, answering the entity; only owners and admins', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const path = `${base()}/${person.accountId}`;
      expect((await call('patch', `${path}/disable`, self(person))).status).toBe(403);
      expect((await call('patch', `${path}/disable`, { cookie: user.cookie })).status).toBe(403);
      expect((await call('patch', `${base(other.environmentId)}/${person.accountId}/disable`)).status).toBe(404);
      expect(await sessionWorks(person)).toBe(true);
      // the action takes no body: a field sent is refused like any unknown field, and nothing changes
      const withBody = await call('patch', `${path}/disable`).send({ disabled: false });
      expect([withBody.status, withBody.body.errors]).toEqual([400, [{ field: 'disabled', message: expect.any(String) }]]);
      expect(await sessionWorks(person)).toBe(true);
      const disabled = await call('patch', `${path}/disable`, { cookie: admin.cookie });
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ id: person.accountId, disabled: true, disabledAt: expect.any(String) });
      expect(await countRows(server.db, 'api_sessions', { account_id: person.accountId })).toBe(0);
      expect(await sessionWorks(person)).toBe(false);
      const login = () =>
        request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/login`).send({ email: person.email, password: person.password });
      expect((await login()).status).toBe(401);
      const enabled = await call('patch', `${path}/enable`);
      expect(enabled.status).toBe(200);
      expect(enabled.body).toMatchObject({ disabled: false, disabledAt: null });
      expect((await login()).status).toBe(200);
      expect((await call('patch', `${base()}/${MISSING}/enable`)).status).toBe(404);
    });

    it('deletes an account (admin or itself) with its sessions (regression: they outlived it), 204', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const stranger = await signupUser(server, tenant.environmentId);
      expect((await call('delete', `${base()}/${person.accountId}`, self(stranger))).status).toBe(403);
      expect((await call('delete', `${base()}/${person.accountId}`, { cookie: user.cookie })).status).toBe(403);
      expect((await call('delete', `${base(other.environmentId)}/${person.accountId}`)).status).toBe(404);
      expect(await countRows(server.db, 'environment_accounts', { id: person.accountId })).toBe(1);
      const response = await call('delete', `${base()}/${person.accountId}`, { cookie: person.cookie });
      expect(response.status).toBe(204);
      expect(cookieFrom(response, 'sump_env_session')).toBe('sump_env_session=');
      expect(await countRows(server.db, 'environment_accounts', { id: person.accountId })).toBe(0);
      expect(await countRows(server.db, 'api_sessions', { account_id: person.accountId })).toBe(0);
      expect(await sessionWorks(person)).toBe(false);
      expect(await sessionWorks(stranger)).toBe(true);
      const byAdmin = await call('delete', `${base()}/${stranger.accountId}`, { cookie: admin.cookie });
      expect(byAdmin.status).toBe(204);
      expect(await sessionWorks(stranger)).toBe(false);
      expect((await call('delete', `${base()}/${stranger.accountId}`)).status).toBe(404);
    });
  });
});
