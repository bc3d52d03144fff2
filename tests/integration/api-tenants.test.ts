import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { allStrings, cookieFrom, countRows, createTenant, DEFAULT_PASSWORD, tenantBody, unique } from '../helpers/fixtures.js';
import { openTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /api/v1/tenants', () => {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = await openTestDatabase();
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const post = (body: unknown) => request(server.url).post('/api/v1/tenants').send(body as object);

  it('creates the tenant, its owner, a default environment with signing keys, and a session', async () => {
    const body = tenantBody({ tenant: { customProperties: { plan: 'premium', nested: { a: [1, 2] } } } });
    const response = await post(body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      tenantId: expect.stringMatching(UUID),
      accountId: expect.stringMatching(UUID),
      environmentId: expect.stringMatching(UUID),
      session: {
        id: expect.stringMatching(UUID),
        accountType: 'tenant_account',
        accountId: response.body.accountId,
        contextType: 'tenant',
        contextId: response.body.tenantId,
        expiresAt: expect.any(String),
      },
    });
    const { tenantId, environmentId } = response.body;
    const lifetime = Date.parse(response.body.session.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(29.9 * 86400_000);
    expect(lifetime).toBeLessThanOrEqual(30 * 86400_000);

    const tenant = await server.db('tenants').where({ id: tenantId }).first();
    expect(tenant).toMatchObject({ name: body.tenant.name, custom_properties: { plan: 'premium', nested: { a: [1, 2] } } });
    const owner = await server.db('tenant_accounts').where({ tenant_id: tenantId }).first();
    expect(owner).toMatchObject({ role: 'owner', email: body.account.email, disabled: false });
    expect(owner.password_hash).toMatch(/^\$argon2id\$/);
    const environment = await server.db('environments').where({ tenant_id: tenantId, id: environmentId }).first();
    expect(environment.name).toBe('default');
    const keys = await server.db('signing_keys').where({ tenant_id: tenantId, environment_id: environmentId });
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(await countRows(server.db, 'api_sessions', { tenant_id: tenantId })).toBe(1);
  });

  it('sets an HttpOnly, SameSite=Lax sump_session cookie on /api whose token is stored only hashed', async () => {
    const response = await post(tenantBody());
    const header = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('sump_session='));
    expect(header).toMatch(/; path=\/api/);
    expect(header).toMatch(/; httponly/i);
    expect(header).toMatch(/; samesite=lax/i);
    expect(header).not.toMatch(/; secure/i);
    const token = cookieFrom(response)!.split('=')[1]!;
    expect(token.length).toBeGreaterThanOrEqual(43);
    const session = await server.db('api_sessions').where({ tenant_id: response.body.tenantId }).first();
    expect(session.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(session.token_hash).not.toBe(token);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('creates the named environment when one is given', async () => {
    const response = await post(tenantBody({ environment: { name: 'production', customProperties: { region: 'eu' } } }));
    expect(response.status).toBe(201);
    const environment = await server.db('environments').where({ id: response.body.environmentId }).first();
    expect(environment).toMatchObject({ name: 'production', custom_properties: { region: 'eu' } });
  });

  it('stores emails and usernames with their normalised forms', async () => {
    const id = unique();
    const response = await post(tenantBody({ account: { email: ` Ada.${id}@Example.COM `, username: `Ada_${id}` } }));
    expect(response.status).toBe(201);
    const owner = await server.db('tenant_accounts').where({ tenant_id: response.body.tenantId }).first();
    expect(owner).toMatchObject({
      email: `Ada.${id}@Example.COM`,
      email_normalized: `ada.${id}@example.com`,
      username: `Ada_${id}`,
      username_normalized: `ada_${id}`,
    });
  });

  it('never answers a hash or a token hash', async () => {
    const response = await post(tenantBody());
    const session = await server.db('api_sessions').where({ tenant_id: response.body.tenantId }).first();
    const owner = await server.db('tenant_accounts').where({ tenant_id: response.body.tenantId }).first();
    const strings = allStrings(response.body);
    expect(strings).not.toContain(owner.password_hash);
    expect(strings).not.toContain(session.token_hash);
    expect(JSON.stringify(response.body)).not.toMatch(/argon2|password/i);
  });

  it('lets the same email own a second tenant (uniqueness is per tenant)', async () => {
    const first = await createTenant(server);
    const response = await post(tenantBody({ account: { email: first.email, username: first.username } }));
    expect(response.status).toBe(201);
  });

  describe('refuses bad input with a 400 problem and writes nothing', () => {
    const cases: Array<[string, (body: ReturnType<typeof tenantBody>) => unknown, string]> = [
      ['a missing tenant', ({ account }) => ({ account }), 'tenant'],
      ['a missing account', ({ tenant }) => ({ tenant }), 'account'],
      ['a missing tenant name', (body) => ({ ...body, tenant: {} }), 'tenant.name'],
      ['a one-character tenant name', (body) => ({ ...body, tenant: { name: 'x' } }), 'tenant.name'],
      ['a 256-character tenant name', (body) => ({ ...body, tenant: { name: 'x'.repeat(256) } }), 'tenant.name'],
      ['customProperties as an array', (body) => ({ ...body, tenant: { ...body.tenant, customProperties: [1] } }), 'tenant.customProperties'],
      ['a bad email', (body) => ({ ...body, account: { ...body.account, email: 'not-an-email' } }), 'account.email'],
      ['a short username', (body) => ({ ...body, account: { ...body.account, username: 'ab' } }), 'account.username'],
      ['a username with spaces', (body) => ({ ...body, account: { ...body.account, username: 'a b c' } }), 'account.username'],
      ['a 21-character username', (body) => ({ ...body, account: { ...body.account, username: 'a'.repeat(21) } }), 'account.username'],
      ['a 2-character name', (body) => ({ ...body, account: { ...body.account, name: 'Al' } }), 'account.name'],
      ['a 7-character password', (body) => ({ ...body, account: { ...body.account, password: 'short12' } }), 'account.password'],
      ['a 257-character password', (body) => ({ ...body, account: { ...body.account, password: 'p'.repeat(257) } }), 'account.password'],
      ['a password of 257 emoji (over 1024 bytes)', (body) => ({ ...body, account: { ...body.account, password: '😀'.repeat(257) } }), 'account.password'],
      ['a phone that is not E.164', (body) => ({ ...body, account: { ...body.account, phone: '555' } }), 'account.phone'],
      ['a non-http avatarUrl', (body) => ({ ...body, account: { ...body.account, avatarUrl: 'javascript:alert(1)' } }), 'account.avatarUrl'],
      ['an unknown top-level field', (body) => ({ ...body, plan: 'gold' }), 'plan'],
      ['an unknown tenant field', (body) => ({ ...body, tenant: { ...body.tenant, id: 'x' } }), 'tenant.id'],
      ['an environment without a name', (body) => ({ ...body, environment: {} }), 'environment.name'],
      // the limits of every other custom-property write (regression: POST /tenants skipped them)
      ['51 tenant custom properties', (body) => ({ ...body, tenant: { ...body.tenant, customProperties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) } }), 'tenant.customProperties'],
      ['9 KB of tenant custom properties', (body) => ({ ...body, tenant: { ...body.tenant, customProperties: { big: 'x'.repeat(9000) } } }), 'tenant.customProperties'],
      ['51 environment custom properties', (body) => ({ ...body, environment: { name: 'dev', customProperties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) } }), 'environment.customProperties'],
      // seed §6: mass assignment of columns
      ['account.passwordHash', (body) => ({ ...body, account: { ...body.account, passwordHash: 'x' } }), 'account.passwordHash'],
      ['account.role', (body) => ({ ...body, account: { ...body.account, role: 'owner' } }), 'account.role'],
      ['account.roles', (body) => ({ ...body, account: { ...body.account, roles: [] } }), 'account.roles'],
      ['account.disabled', (body) => ({ ...body, account: { ...body.account, disabled: false } }), 'account.disabled'],
      ['account.emailVerified', (body) => ({ ...body, account: { ...body.account, emailVerified: true } }), 'account.emailVerified'],
    ];
    it.each(cases)('%s', async (_name, mutate, field) => {
      const body = tenantBody();
      const response = await post(mutate(body));
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code: 'request.validation_failed' });
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      // the original echoed the input, password hash included
      expect(JSON.stringify(response.body)).not.toContain(DEFAULT_PASSWORD);
      expect(await countRows(server.db, 'tenants', { name: body.tenant.name })).toBe(0);
    });
  });

  it('answers malformed JSON with 400 request.malformed_json', async () => {
    const response = await request(server.url)
      .post('/api/v1/tenants')
      .set('Content-Type', 'application/json')
      .send('{"tenant": {"name": "x"');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'request.malformed_json', type: 'urn:sump:problem:request.malformed_json' });
  });

  it('answers a JSON scalar and a __proto__ key as malformed, not 500', async () => {
    for (const text of ['"just a string"', '{"__proto__": {"admin": true}}']) {
      const response = await request(server.url).post('/api/v1/tenants').set('Content-Type', 'application/json').send(text);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('request.malformed_json');
    }
  });

  it('answers a body that is not JSON with 415', async () => {
    const body = tenantBody();
    const response = await request(server.url)
      .post('/api/v1/tenants')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify(body));
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('request.unsupported_media_type');
    expect(await countRows(server.db, 'tenants', { name: body.tenant.name })).toBe(0);
  });

  it('leaves nothing behind when a step of the creation fails (one transaction)', async () => {
    const body = tenantBody();
    const spy = jest
      .spyOn(server.sump.services.signingKeys, 'createInitialKeys')
      .mockRejectedValueOnce(new Error('key generation failed'));
    try {
      const response = await post(body);
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ code: 'internal' });
      expect(JSON.stringify(response.body)).not.toMatch(/key generation failed|insert|select/i);
    } finally {
      spy.mockRestore();
    }
    expect(await countRows(server.db, 'tenants', { name: body.tenant.name })).toBe(0);
    expect(await countRows(server.db, 'tenant_accounts', { email_normalized: body.account.email })).toBe(0);
  });

  describe('when open tenant signup is off', () => {
    const operatorToken = 'operator-token-that-is-long-enough-0123456789';
    let closed: TestServer;
    beforeAll(async () => {
      closed = await startTestServer({ database, env: { ALLOW_TENANT_SIGNUP: 'false', OPERATOR_TOKEN: operatorToken } });
    });
    afterAll(async () => {
      await closed.close();
    });

    it('refuses without the operator token, before looking at the body', async () => {
      const body = tenantBody();
      for (const auth of [undefined, 'Bearer wrong-token', `Bearer ${operatorToken}x`, operatorToken]) {
        const call = request(closed.url).post('/api/v1/tenants');
        if (auth) call.set('Authorization', auth);
        const response = await call.send(body);
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('tenant.signup_closed');
      }
      const invalid = await request(closed.url).post('/api/v1/tenants').send({});
      expect(invalid.status).toBe(403);
      expect(await countRows(server.db, 'tenants', { name: body.tenant.name })).toBe(0);
    });

    it('creates the tenant for the operator token', async () => {
      const response = await request(closed.url)
        .post('/api/v1/tenants')
        .set('Authorization', `Bearer ${operatorToken}`)
        .send(tenantBody());
      expect(response.status).toBe(201);
      expect(cookieFrom(response)).toBeDefined();
    });
  });

  describe('with an https PUBLIC_URL', () => {
    let secure: TestServer;
    beforeAll(async () => {
      secure = await startTestServer({ database, env: { PUBLIC_URL: 'https://sump.example.com' } });
    });
    afterAll(async () => {
      await secure.close();
    });

    it('marks the session cookie Secure', async () => {
      const response = await request(secure.server).post('/api/v1/tenants').send(tenantBody());
      expect(response.status).toBe(201);
      const header = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('sump_session='));
      expect(header).toMatch(/; secure/i);
    });
  });
});
