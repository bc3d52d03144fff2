import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { countRows, createTenant, unique, type TestTenant } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const UI_ORIGIN = 'http://localhost:3001';

describe('API request checks: origin of cookie writes, CORS, media types, methods, caching', () => {
  let server: TestServer;
  let tenant: TestTenant;
  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: UI_ORIGIN } });
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  const createEnvironment = (headers: Record<string, string>, name = `env-${unique()}`) => {
    const call = request(server.url).post(`/api/v1/tenants/${tenant.tenantId}/environments`).set('Cookie', tenant.cookie);
    for (const [key, value] of Object.entries(headers)) call.set(key, value);
    return call.send({ name }).then((response) => ({ response, name }));
  };
  const written = (name: string) => countRows(server.db, 'environments', { tenant_id: tenant.tenantId, name });

  describe('cookie-authenticated writes', () => {
    it.each([
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['Origin "null"', { Origin: 'null' }],
      ['Sec-Fetch-Site cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { 'Sec-Fetch-Site': 'same-site' }],
      ['sump’s own Origin but Sec-Fetch-Site cross-site', { Origin: 'PUBLIC', 'Sec-Fetch-Site': 'cross-site' }],
    ])('refuses %s with 403 request.cross_origin and writes nothing', async (_what, headers) => {
      const resolved = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'PUBLIC' ? server.url : v]));
      const { response, name } = await createEnvironment(resolved);
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('request.cross_origin');
      expect(await written(name)).toBe(0);
    });

    it.each([
      ['no Origin and no Sec-Fetch-Site (curl)', {}],
      ['sump’s own Origin', { Origin: 'PUBLIC', 'Sec-Fetch-Site': 'same-origin' }],
      ['Sec-Fetch-Site none (typed by the user)', { 'Sec-Fetch-Site': 'none' }],
      ['an Origin listed in CORS_ORIGINS', { Origin: UI_ORIGIN, 'Sec-Fetch-Site': 'same-site' }],
    ])('accepts %s', async (_what, headers) => {
      const resolved = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'PUBLIC' ? server.url : v]));
      const { response, name } = await createEnvironment(resolved);
      expect(response.status).toBe(201);
      expect(await written(name)).toBe(1);
    });

    it('needs application/json when a body is sent (415), whatever the text looks like', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const name = `env-${unique()}`;
        const response = await request(server.url)
          .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
          .set('Cookie', tenant.cookie)
          .set('Content-Type', type)
          .send(JSON.stringify({ name }));
        expect(response.status).toBe(415);
        expect(response.body.code).toBe('request.unsupported_media_type');
        expect(await written(name)).toBe(0);
      }
    });

    it('does not check the origin of reads', async () => {
      const response = await request(server.url)
        .get(`/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`)
        .set('Cookie', tenant.cookie)
        .set('Origin', 'https://evil.example');
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('CORS', () => {
    it('answers a preflight from a listed origin with credentials allowed', async () => {
      const response = await request(server.url)
        .options(`/api/v1/tenants/${tenant.tenantId}/environments`)
        .set('Origin', UI_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(response.headers['access-control-allow-methods']).toContain('POST');
      expect(response.headers['access-control-allow-headers']).toMatch(/content-type/i);
    });

    it('gives no CORS headers to another origin', async () => {
      const preflight = await request(server.url)
        .options('/api/v1/tenants')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const simple = await request(server.url).get('/api/v1/health').set('Origin', 'https://evil.example');
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers.vary).toMatch(/origin/i);
    });

    it('puts the CORS headers on error answers of a listed origin too', async () => {
      const response = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/environments/x`).set('Origin', UI_ORIGIN);
      expect(response.status).toBe(401);
      expect(response.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    });
  });

  describe('methods and caching', () => {
    it('answers a wrong method with a problem+json 405 and an Allow header', async () => {
      const response = await request(server.url).delete('/api/v1/tenants');
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('POST');
      expect(response.body).toMatchObject({ status: 405, code: 'request.method_not_allowed' });
    });

    it('answers OPTIONS without a preflight with the allowed methods', async () => {
      const response = await request(server.url).options(`/api/v1/auth/tenants/${tenant.tenantId}/session`);
      expect(response.status).toBe(204);
      expect(response.headers.allow).toMatch(/GET/);
    });

    it('marks every API answer no-store, errors included', async () => {
      for (const response of [
        await request(server.url).get('/api/v1/health'),
        await request(server.url).get(`/api/v1/auth/tenants/${tenant.tenantId}/session`),
        await request(server.url).post('/api/v1/tenants').send({}),
      ]) {
        expect(response.headers['cache-control']).toBe('no-store');
      }
    });

    it('refuses a body over 100 kB with 413', async () => {
      const response = await request(server.url)
        .post('/api/v1/tenants')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ tenant: { name: 'x', customProperties: { blob: 'x'.repeat(120_000) } } }));
      expect(response.status).toBe(413);
      expect(response.body.code).toBe('request.too_large');
    });
  });
});
