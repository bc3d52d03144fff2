import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { addTenantAccount, createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { issuerOf, signInThroughLoginPage } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** GET …/keys and POST …/keys/rotate: a new key signs at once, the old one keeps verifying. */
describe('signing keys through the API', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  let client: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    other = await createTenant(server);
    client = await createClient(server, tenant, { firstParty: true });
    user = await signupUser(server, tenant.environmentId);
  });
  afterAll(async () => {
    await server.close();
  });

  const keysPath = () => `/api/v1/environments/${tenant.environmentId}/keys`;

  async function idToken(): Promise<string> {
    const { tokens } = await signInThroughLoginPage(server, tenant.environmentId, client, user);
    return tokens.id_token as string;
  }

  it('lists the active keys, public parts only', async () => {
    const response = await request(server.url).get(keysPath()).set('Cookie', tenant.cookie);
    expect(response.status).toBe(200);
    expect(response.body.items.map((key: { alg: string; status: string }) => `${key.alg}:${key.status}`).sort()).toEqual([
      'ES256:active',
      'RS256:active',
    ]);
    expect(JSON.stringify(response.body)).not.toMatch(/"d":/);
    expect(response.body.nextCursor).toBeNull();
  });

  it('rotates: new tokens carry the new kid, tokens signed before still verify through the JWKS', async () => {
    const before = await idToken();
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await request(server.url).post(`${keysPath()}/rotate`).set('Cookie', tenant.cookie);
    expect(rotated.status).toBe(200);
    const statuses = rotated.body.items.map((key: { alg: string; status: string; kid: string }) => `${key.alg}:${key.status}`).sort();
    expect(statuses).toEqual(['ES256:active', 'ES256:retired', 'RS256:active', 'RS256:retired']);
    const retired = rotated.body.items.find((key: { kid: string }) => key.kid === oldKid);
    expect(retired.status).toBe('retired');
    expect(new Date(retired.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3600 * 1000);

    const after = await idToken();
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);
    const jwks = createRemoteJWKSet(new URL(`${issuerOf(server, tenant.environmentId)}/jwks`));
    for (const token of [before, after]) {
      await expect(jwtVerify(token, jwks, { issuer: issuerOf(server, tenant.environmentId), audience: client.clientId })).resolves.toBeDefined();
    }
  });

  it('refuses a user role (403) the rotation, another tenant (404), a bad id (400)', async () => {
    const reader = await addTenantAccount(server, tenant, 'user');
    expect((await request(server.url).get(keysPath()).set('Cookie', reader.cookie)).status).toBe(200);
    const before = await server.db('signing_keys').where({ environment_id: tenant.environmentId });
    expect((await request(server.url).post(`${keysPath()}/rotate`).set('Cookie', reader.cookie)).status).toBe(403);
    expect((await request(server.url).post(`${keysPath()}/rotate`).set('Cookie', other.cookie)).status).toBe(404);
    expect((await request(server.url).get(keysPath()).set('Cookie', other.cookie)).status).toBe(404);
    expect((await request(server.url).get('/api/v1/environments/not-a-uuid/keys').set('Cookie', tenant.cookie)).status).toBe(400);
    expect((await request(server.url).get(keysPath())).status).toBe(401);
    const after = await server.db('signing_keys').where({ environment_id: tenant.environmentId });
    expect(after.length).toBe(before.length);
  });
});
