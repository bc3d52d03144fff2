import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createClient, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Everything that checks a password is rate-limited, per identifier and per address. */
describe('rate limits on sign-in', () => {
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  const envLogin = (email: string, password: string) =>
    request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/login`).send({ email, password });

  it('answers the 11th attempt for one identifier with 429 and Retry-After, even with the right password', async () => {
    const user = await signupUser(server, tenant.environmentId);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await envLogin(user.email, 'wrong password!')).status).toBe(401);
    }
    const blocked = await envLogin(user.email.toUpperCase(), user.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'request.rate_limited', status: 429 });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // another identifier is not held back by this one
    const other = await signupUser(server, tenant.environmentId);
    expect((await envLogin(other.email, other.password)).status).toBe(200);
  });

  it('does not count sign-ins that succeed: one person signing in all day is never held back', async () => {
    const user = await signupUser(server, tenant.environmentId);
    for (let attempt = 1; attempt <= 15; attempt += 1) {
      expect((await envLogin(user.email, user.password)).status).toBe(200);
    }
    // …and the failures are still counted: ten wrong ones, then the right one is refused too.
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await envLogin(user.email, 'wrong password!')).status).toBe(401);
    }
    expect((await envLogin(user.email, user.password)).status).toBe(429);
  });

  it('does not count a tenant account’s successful logins either', async () => {
    const owner = await createTenant(server);
    const login = (password: string) =>
      request(server.url).post(`/api/v1/auth/tenants/${owner.tenantId}/login`).send({ email: owner.email, password });
    for (let attempt = 1; attempt <= 15; attempt += 1) expect((await login(owner.password)).status).toBe(200);
    for (let attempt = 1; attempt <= 10; attempt += 1) expect((await login('wrong password!')).status).toBe(401);
    expect((await login(owner.password)).status).toBe(429);
  });

  it('limits a tenant account’s logins the same way', async () => {
    const login = (password: string) =>
      request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: tenant.email, password });
    for (let attempt = 1; attempt <= 10; attempt += 1) expect((await login('wrong password!')).status).toBe(401);
    expect((await login(tenant.password)).status).toBe(429);
  });

  it('limits one address across identifiers, as the environment’s settings say', async () => {
    const limited = await createTenant(server);
    await server
      .db('environments')
      .where({ id: limited.environmentId })
      .update({ settings: JSON.stringify({ rateLimits: { loginsPerAddress: 3 } }) });
    const statuses = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const response = await request(server.url)
        .post(`/api/v1/auth/environments/${limited.environmentId}/login`)
        .send({ email: `nobody-${attempt}@example.com`, password: 'whatever it is' });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('does not count successful sign-ins against the address either (many people behind one NAT)', async () => {
    const limited = await createTenant(server);
    await server
      .db('environments')
      .where({ id: limited.environmentId })
      .update({ settings: JSON.stringify({ rateLimits: { loginsPerAddress: 3 } }) });
    for (let person = 1; person <= 5; person += 1) {
      const user = await signupUser(server, limited.environmentId);
      const response = await request(server.url)
        .post(`/api/v1/auth/environments/${limited.environmentId}/login`)
        .send({ email: user.email, password: user.password });
      expect(response.status).toBe(200);
    }
  });

  it('limits JSON signups per address and per environment, before anything is looked up or written', async () => {
    const signup = (environmentId: string, email: string) =>
      request(server.url)
        .post(`/api/v1/auth/environments/${environmentId}/signup`)
        .send({ name: 'Probe', email, username: `probe_${Math.random().toString(36).slice(2, 10)}`, password: 'long enough password' });
    const perAddress = await createTenant(server);
    await server
      .db('environments')
      .where({ id: perAddress.environmentId })
      .update({ settings: JSON.stringify({ rateLimits: { signupsPerAddress: 2 } }) });
    const taken = await signupUser(server, perAddress.environmentId);
    const statuses = [];
    // the probe of a taken email counts like any signup; past the limit nothing is told apart
    for (const email of [taken.email, 'fresh-1@example.com', taken.email, 'fresh-2@example.com']) {
      const response = await signup(perAddress.environmentId, email);
      statuses.push(response.status);
      if (response.status === 429) expect(response.body).toMatchObject({ code: 'request.rate_limited' });
    }
    expect(statuses).toEqual([409, 429, 429, 429]);
    const accounts = await server.db('environment_accounts').where({ environment_id: perAddress.environmentId });
    expect(accounts).toHaveLength(1);

    const perEnvironment = await createTenant(server);
    await server
      .db('environments')
      .where({ id: perEnvironment.environmentId })
      .update({ settings: JSON.stringify({ rateLimits: { signupsPerEnvironment: 2, signupsPerAddress: 100 } }) });
    const answers = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      answers.push((await signup(perEnvironment.environmentId, `someone-${attempt}-${perEnvironment.tenantId}@example.com`)).status);
    }
    expect(answers).toEqual([201, 201, 429]);
  });

  it('limits guesses at the current password through change-password, per account (a stolen session is not the password)', async () => {
    const owner = await createTenant(server);
    const person = await signupUser(server, owner.environmentId);
    const changes: Array<[string, () => request.Test]> = [
      [
        'tenant',
        () =>
          request(server.url)
            .post(`/api/v1/auth/tenants/${owner.tenantId}/change-password`)
            .set('Cookie', owner.cookie)
            .set('Origin', server.url)
            .send({ currentPassword: 'a wrong guess!', newPassword: 'a brand new passphrase' }),
      ],
      [
        'environment',
        () =>
          request(server.url)
            .post(`/api/v1/auth/environments/${owner.environmentId}/change-password`)
            .set('Authorization', `Bearer ${person.sessionToken}`)
            .send({ currentPassword: 'a wrong guess!', newPassword: 'a brand new passphrase' }),
      ],
    ];
    for (const [kind, change] of changes) {
      const statuses = [];
      for (let attempt = 1; attempt <= 11; attempt += 1) statuses.push((await change()).status);
      expect([kind, statuses]).toEqual([kind, [...Array(10).fill(400), 429]]);
    }
  });

  it('limits an end user probing identifiers through their own email, username and phone changes, as signups are', async () => {
    const owner = await createTenant(server);
    await server
      .db('environments')
      .where({ id: owner.environmentId })
      .update({ settings: JSON.stringify({ rateLimits: { signupsPerAddress: 3 } }) });
    const taken = await signupUser(server, owner.environmentId);
    const prober = await signupUser(server, owner.environmentId);
    const change = (field: string, value: string) =>
      request(server.url)
        .patch(`/api/v1/environments/${owner.environmentId}/accounts/${prober.accountId}/${field}`)
        .set('Authorization', `Bearer ${prober.sessionToken}`)
        .send({ [field]: value });
    const statuses = [
      (await change('email', taken.email)).status,
      (await change('username', taken.username)).status,
      (await change('email', taken.email.toUpperCase())).status,
      (await change('email', taken.email)).status,
    ];
    expect(statuses).toEqual([409, 409, 409, 429]);
    // the tenant's administrators are not held back by it
    const byOwner = await request(server.url)
      .patch(`/api/v1/environments/${owner.environmentId}/accounts/${prober.accountId}/email`)
      .set('Cookie', owner.cookie)
      .set('Origin', server.url)
      .send({ email: taken.email });
    expect(byOwner.status).toBe(409);
  });

  it('shows the hosted login page’s limit as a 429 page', async () => {
    const user = await signupUser(server, tenant.environmentId);
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    let page = await browser.follow((await authorizationRequest(config)).url.href);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      page = await browser.submit(page, { identifier: user.username, password: 'wrong password!' });
      expect(page.status).toBe(401);
    }
    page = await browser.submit(page, { identifier: user.username, password: user.password });
    expect(page.status).toBe(429);
    expect(page.body).toContain('Too many attempts');
  });

  it('opens a new window once the old one has passed', async () => {
    const { rateLimits } = server.sump.services;
    const rule = { limit: 1, windowSeconds: 60 };
    const now = new Date('2030-01-01T00:00:10Z');
    await rateLimits.hit([['window-test', rule]], now);
    await expect(rateLimits.hit([['window-test', rule]], now)).rejects.toMatchObject({ status: 429 });
    await expect(rateLimits.hit([['window-test', rule]], new Date('2030-01-01T00:01:05Z'))).resolves.toBeUndefined();
  });
});
