import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DEFAULT_SETTINGS } from '../../src/services/environment-settings.js';
import {
  addTenantAccount,
  countRows,
  createEnvironment,
  startServerWithTenants,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('environments: /api/v1/tenants/:tenantId/environments', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const create = (body: unknown, options: { tenantId?: string; cookie?: string | undefined } = {}) => {
    const call = request(server.url).post(`/api/v1/tenants/${options.tenantId ?? tenant.tenantId}/environments`);
    const cookie = 'cookie' in options ? options.cookie : tenant.cookie;
    return (cookie ? call.set('Cookie', cookie) : call).send(body as object);
  };
  const get = (environmentId: string, options: { tenantId?: string; cookie?: string } = {}) =>
    request(server.url)
      .get(`/api/v1/tenants/${options.tenantId ?? tenant.tenantId}/environments/${environmentId}`)
      .set('Cookie', options.cookie ?? tenant.cookie);

  describe('POST', () => {
    it('creates an environment with its signing keys and answers the entity', async () => {
      const name = `staging-${unique()}`;
      const response = await create({ name, customProperties: { tier: 'gold', limits: { users: 100 } } });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        tenantId: tenant.tenantId,
        name,
        customProperties: { tier: 'gold', limits: { users: 100 } },
        settings: DEFAULT_SETTINGS,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const keys = await server.db('signing_keys').where({ tenant_id: tenant.tenantId, environment_id: response.body.id });
      expect(keys).toHaveLength(2);
      expect(JSON.stringify(response.body)).not.toMatch(/private|"d"/);
    });

    it('lets an admin create one but not a user (403), and nothing is written', async () => {
      const admin = await addTenantAccount(server, tenant, 'admin');
      expect((await create({ name: `by-admin-${unique()}` }, { cookie: admin.cookie })).status).toBe(201);
      const user = await addTenantAccount(server, tenant, 'user');
      const name = `by-user-${unique()}`;
      const response = await create({ name }, { cookie: user.cookie });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('auth.forbidden');
      expect(await countRows(server.db, 'environments', { tenant_id: tenant.tenantId, name })).toBe(0);
      // the role is checked before the body
      expect((await create({ bogus: true }, { cookie: user.cookie })).status).toBe(403);
    });

    it('answers 409 environment.name_taken for a name already in the tenant, and 201 in another tenant', async () => {
      const name = `dup-${unique()}`;
      expect((await create({ name })).status).toBe(201);
      const again = await create({ name });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'environment.name_taken', errors: [{ field: 'name' }] });
      expect(await countRows(server.db, 'environments', { tenant_id: tenant.tenantId, name })).toBe(1);
      expect((await create({ name }, { tenantId: other.tenantId, cookie: other.cookie })).status).toBe(201);
    });

    it.each([
      ['no name', {}, 'name'],
      ['a 1-character name', { name: 'x' }, 'name'],
      ['a 256-character name', { name: 'x'.repeat(256) }, 'name'],
      ['customProperties as a string', { name: 'okay', customProperties: 'x' }, 'customProperties'],
      ['tenantId in the body', { name: 'okay', tenantId: MISSING }, 'tenantId'],
      ['settings in the body', { name: 'okay', settings: {} }, 'settings'],
    ])('refuses %s with 400', async (_what, body, field) => {
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('answers malformed JSON with 400 and a form body with 415', async () => {
      const malformed = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Cookie', tenant.cookie)
        .set('Content-Type', 'application/json')
        .send('{name:');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.malformed_json');
      const form = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Cookie', tenant.cookie)
        .type('form')
        .send({ name: 'from-a-form' });
      expect(form.status).toBe(415);
      expect(await countRows(server.db, 'environments', { tenant_id: tenant.tenantId, name: 'from-a-form' })).toBe(0);
    });

    it('checks in order: 401, then the id shape, then the tenant (404), then the body', async () => {
      const noCookie = await create({}, { cookie: undefined, tenantId: 'not-a-uuid' });
      expect(noCookie.status).toBe(401);
      expect(noCookie.body.code).toBe('auth.unauthenticated');
      const badId = await create({}, { tenantId: 'not-a-uuid' });
      expect(badId.status).toBe(400);
      expect(badId.body.code).toBe('request.invalid_id');
      const unknown = await create({}, { tenantId: MISSING });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('tenant.not_found');
    });

    it('answers 404 for another tenant’s id, exactly as for a missing one, and writes nothing', async () => {
      const name = `intrusion-${unique()}`;
      const response = await create({ name }, { tenantId: other.tenantId });
      expect(response.status).toBe(404);
      const missing = await create({ name }, { tenantId: MISSING });
      expect(response.body).toEqual(missing.body);
      expect(await countRows(server.db, 'environments', { name })).toBe(0);
    });
  });

  describe('GET /:environmentId', () => {
    it('answers the environment to every role of the tenant', async () => {
      const user = await addTenantAccount(server, tenant, 'user');
      const owner = await get(tenant.environmentId);
      expect(owner.status).toBe(200);
      expect(owner.body).toMatchObject({ id: tenant.environmentId, tenantId: tenant.tenantId, name: 'default' });
      const asUser = await get(tenant.environmentId, { cookie: user.cookie });
      expect(asUser.status).toBe(200);
      expect(asUser.body).toEqual(owner.body);
    });

    it('answers 404 for a missing environment and for another tenant’s, whichever path names it', async () => {
      const missing = await get(MISSING);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('environment.not_found');
      // B's environment under A's tenant path
      const crossed = await get(other.environmentId);
      expect(crossed.status).toBe(404);
      expect(crossed.body).toEqual(missing.body);
      // B's tenant path with A's cookie
      const foreign = await get(other.environmentId, { tenantId: other.tenantId });
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('tenant.not_found');
    });

    it('answers 400 for ids without a UUID shape and 401 without a session', async () => {
      for (const path of [`/api/v1/tenants/${tenant.tenantId}/environments/nope`, `/api/v1/tenants/nope/environments/${MISSING}`]) {
        const response = await request(server.url).get(path).set('Cookie', tenant.cookie);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('request.invalid_id');
      }
      const anonymous = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`);
      expect(anonymous.status).toBe(401);
    });

    it('reads an environment created through the API', async () => {
      const environment = await createEnvironment(server, tenant);
      const response = await get(environment.id);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(environment);
    });
  });
});
