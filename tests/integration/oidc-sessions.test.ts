import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The environment's `sessions` settings govern its OIDC sessions: idle window, absolute cap. */
describe('OIDC session lifetime', () => {
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Sets the environment's session settings (and rebuilds its issuer), signs a user in: the seconds their session has left. */
  async function secondsLeftUnder(sessions: { lifetimeSeconds: number; idleSeconds: number }): Promise<number> {
    await server.db('environments').where({ id: tenant.environmentId }).update({ settings: JSON.stringify({ sessions }) });
    await server.sump.issuers.evict(tenant.environmentId);
    const user = await signupUser(server, tenant.environmentId);
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const browser = newBrowser();
    const login = await browser.follow((await authorizationRequest(config)).url.href);
    await browser.submit(login, { identifier: user.email, password: user.password });
    const row = await server
      .db('oidc_artifacts')
      .where({ environment_id: tenant.environmentId, model: 'Session', account_id: user.accountId })
      .first();
    return (new Date(row.expires_at).getTime() - Date.now()) / 1000;
  }

  it('expires an idle session after sessions.idleSeconds', async () => {
    const seconds = await secondsLeftUnder({ lifetimeSeconds: 3600, idleSeconds: 120 });
    expect(seconds).toBeGreaterThan(100);
    expect(seconds).toBeLessThanOrEqual(120);
  });

  it('never lets the idle window pass the absolute lifetime', async () => {
    const seconds = await secondsLeftUnder({ lifetimeSeconds: 300, idleSeconds: 3600 });
    expect(seconds).toBeGreaterThan(280);
    expect(seconds).toBeLessThanOrEqual(300);
  });
});
