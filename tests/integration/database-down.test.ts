import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { openDatabase } from '../../src/db/database.js';
import { createClient, createTenant, signupUser, type TestClient, type TestTenant } from '../helpers/fixtures.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { onPostgres, openTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * When the database goes away: 503 problem+json on the API, 503 temporarily_unavailable on the
 * OIDC endpoints, a 503 page on the hosted pages — never a 500. On PostgreSQL the connection is
 * cut at a TCP proxy in front of the shared server; on the embedded database it is closed.
 */
describe('the database goes away', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let client: TestClient;
  let deviceClient: TestClient;
  let email: string;
  let takeDatabaseAway: () => Promise<void>;
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    let database: TestDatabase;
    if (onPostgres()) {
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const db = openDatabase({ kind: 'postgres', connectionString: url.toString() });
      database = { db, kind: 'postgres', close: () => db.destroy() };
      takeDatabaseAway = async () => proxy.cut();
      cleanUp = async () => {
        await database.close();
        await proxy.close();
      };
    } else {
      database = await openTestDatabase();
      takeDatabaseAway = () => database.db.destroy();
      cleanUp = () => database.close().catch(() => undefined);
    }
    server = await startTestServer({ database });
    tenant = await createTenant(server);
    client = await createClient(server, tenant, { grantTypes: ['authorization_code', 'client_credentials'] });
    deviceClient = await createClient(server, tenant, { redirectUris: [], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
    email = (await signupUser(server, tenant.environmentId)).email;
    // the issuer is built while the database is there
    expect((await fetch(`${issuerOf(server, tenant.environmentId)}/.well-known/openid-configuration`)).status).toBe(200);
    await takeDatabaseAway();
  });
  afterAll(async () => {
    await server.close();
    await cleanUp();
  });

  it('answers the API with a 503 problem', async () => {
    const answer = await fetch(`${server.url}/api/v1/auth/environments/${tenant.environmentId}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'whatever it is' }),
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await answer.json()).toMatchObject({ status: 503, code: 'service.unavailable' });
  });

  it('answers the token endpoint with 503 temporarily_unavailable', async () => {
    const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'try again shortly' });
  });

  it('answers a hosted page with a 503 page', async () => {
    const url = new URL(`${issuerOf(server, tenant.environmentId)}/auth`);
    url.search = new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid' }).toString();
    const answer = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(await answer.text()).toContain('Temporarily unavailable');
  });

  it('says it is not ready', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('shows the code page as a 503 page with Retry-After, and posts too', async () => {
    const page = await request(server.url).get(`/oidc/${tenant.environmentId}/device`);
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.text).toContain('Temporarily unavailable');
    const posted = await request(server.url).post(`/oidc/${tenant.environmentId}/device`).type('form').send({ user_code: 'BCDF-GHJK', xsrf: 'x' });
    expect(posted.status).toBe(503);
    expect(posted.text).toContain('Temporarily unavailable');
  });

  it('answers the device authorization endpoint with 503 temporarily_unavailable', async () => {
    const answer = await request(server.url)
      .post(`/oidc/${tenant.environmentId}/device/auth`)
      .auth(deviceClient.clientId, deviceClient.clientSecret as string)
      .type('form')
      .send({ scope: 'openid' });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'try again shortly' });
  });
});
