import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolveSettings } from '../../src/services/environment-settings.js';
import { createTenant, type TestTenant } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Every environment signs with an RS256 and an ES256 key, made once even when nodes race. */
describe('signing keys', () => {
  let server: TestServer;
  let tenant: TestTenant;
  const scope = () => ({ tenantId: tenant.tenantId, environmentId: tenant.environmentId });

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  it('makes both keys when the environment is created, private parts encrypted', async () => {
    const rows = await server.db('signing_keys').where({ environment_id: tenant.environmentId });
    expect(rows.map((row) => row.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const row of rows) {
      expect(row.private_jwk_encrypted).toMatch(/^v1\./);
      expect(row.public_jwk.d).toBeUndefined();
    }
  });

  it('makes missing keys once when several requests race for them', async () => {
    await server.db('signing_keys').where({ environment_id: tenant.environmentId }).delete();
    const { signingKeys } = server.sump.services;
    await Promise.all(Array.from({ length: 6 }, () => signingKeys.prepareIssuerKeys(server.db, scope(), resolveSettings(undefined))));
    const rows = await server.db('signing_keys').where({ environment_id: tenant.environmentId });
    expect(rows.map((row) => row.alg).sort()).toEqual(['ES256', 'RS256']);
  });

  it('publishes, for each algorithm, the key that signs first', async () => {
    const { jwks } = await server.sump.services.signingKeys.prepareIssuerKeys(server.db, scope(), resolveSettings(undefined));
    expect(jwks.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
  });
});
