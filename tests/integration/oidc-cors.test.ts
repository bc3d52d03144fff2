import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, createTenant, type TestClient, type TestTenant } from '../helpers/fixtures.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** CORS as DESIGN.md says: discovery and JWKS for all, the client endpoints for its origins only. */
describe('CORS on the issuer', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let client: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    client = await createClient(server, tenant, { grantTypes: ['client_credentials'], redirectUris: [], allowedCorsOrigins: ['https://app.example'] });
  });
  afterAll(async () => {
    await server.close();
  });

  const token = (origin: string, clientId: string, secret: string) =>
    fetch(`${issuerOf(server, tenant.environmentId)}/token`, {
      method: 'POST',
      headers: {
        origin,
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });

  it('answers discovery and JWKS to every origin', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const answer = await fetch(`${issuerOf(server, tenant.environmentId)}${path}`, { headers: { origin: 'https://anyone.example' } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
    }
  });

  it('lets the client’s own origin read its token answer', async () => {
    const answer = await token('https://app.example', client.clientId, client.clientSecret as string);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('refuses other origins, and error answers of unknown clients carry no CORS header', async () => {
    const foreign = await token('https://evil.example', client.clientId, client.clientSecret as string);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const unknown = await token('https://evil.example', 'unknown-client-id-000', 'nope');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
    const badToken = await fetch(`${issuerOf(server, tenant.environmentId)}/me`, {
      headers: { origin: 'https://evil.example', authorization: 'Bearer not-a-token' },
    });
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('access-control-allow-origin')).toBeNull();
  });
});
