import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sha256Hex } from '../../src/services/crypto.js';
import {
  cookieFrom,
  createEnvironment,
  createEnvironmentWithSettings,
  signupBody,
  signupUser,
  startServerWithTenants,
  type TestTenant,
} from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/test-server.js';

describe('environment sessions: /api/v1/auth/environments/:envId/session and …/logout', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
  });
  afterAll(async () => {
    await server.close();
  });

  const signup = (body: unknown, environmentId = tenant.environmentId) =>
    request(server.url).post(`/api/v1/auth/environments/${environmentId}/signup`).send(body as object);
  const session = (auth: { bearer?: string | null; cookie?: string }, environmentId = tenant.environmentId) => {
    const call = request(server.url).get(`/api/v1/auth/environments/${environmentId}/session`);
    if (auth.bearer) call.set('Authorization', `Bearer ${auth.bearer}`);
    if (auth.cookie) call.set('Cookie', auth.cookie);
    return call;
  };
  const withSettings = (settings: Record<string, unknown>) => createEnvironmentWithSettings(server, tenant, settings);

  describe('GET …/session and POST …/logout', () => {
    it('accepts the session as a bearer token or as the cookie, in its own environment only', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const viaBearer = await session({ bearer: user.sessionToken });
      expect(viaBearer.status).toBe(200);
      expect(viaBearer.body).toMatchObject({ accountId: user.accountId, contextType: 'environment', contextId: tenant.environmentId });
      expect((await session({ cookie: user.cookie! })).status).toBe(200);

      const sibling = await createEnvironment(server, tenant);
      expect((await session({ bearer: user.sessionToken }, sibling.id)).status).toBe(401);
      expect((await session({ cookie: user.cookie! }, other.environmentId)).status).toBe(401);
      // a tenant account's session is no environment session
      const tenantToken = tenant.cookie.split('=')[1];
      expect((await session({ bearer: tenantToken })).status).toBe(401);
      expect((await session({})).status).toBe(401);
    });

    it('follows the environment’s session settings (lifetime, sliding idle window)', async () => {
      const environmentId = await withSettings({ sessions: { lifetimeSeconds: 3600, idleSeconds: 600 } });
      const response = await signup(signupBody(), environmentId);
      const lifetime = Date.parse(response.body.session.expiresAt) - Date.now();
      expect(lifetime).toBeGreaterThan(3500_000);
      expect(lifetime).toBeLessThanOrEqual(3600_000);
      const token = response.body.sessionToken;
      await server.db('api_sessions').where({ token_hash: sha256Hex(token) }).update({ last_active_at: new Date(Date.now() - 500_000) });
      expect((await session({ bearer: token }, environmentId)).status).toBe(200);
      await server.db('api_sessions').where({ token_hash: sha256Hex(token) }).update({ last_active_at: new Date(Date.now() - 700_000) });
      expect((await session({ bearer: token }, environmentId)).status).toBe(401);
    });

    it('ends the session on logout and clears the cookie; a disabled account’s session stops answering', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const response = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/logout`)
        .set('Authorization', `Bearer ${user.sessionToken}`);
      expect(response.status).toBe(204);
      expect(cookieFrom(response, 'sump_env_session')).toBe('sump_env_session=');
      expect((await session({ bearer: user.sessionToken })).status).toBe(401);

      const second = await signupUser(server, tenant.environmentId);
      await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: second.accountId }).update({ disabled: true });
      expect((await session({ bearer: second.sessionToken })).status).toBe(401);
    });

    it('refuses a cross-site logout through the cookie', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const response = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/logout`)
        .set('Cookie', user.cookie!)
        .set('Sec-Fetch-Site', 'cross-site');
      expect(response.status).toBe(403);
      expect((await session({ cookie: user.cookie! })).status).toBe(200);
    });
  });

  describe('services.environmentAuth.authenticate (used by the hosted login page)', () => {
    it('finds the account by identifier (email or username) and refuses everything else with invalid_credentials', async () => {
      const user = await signupUser(server, tenant.environmentId);
      const scope = { tenantId: tenant.tenantId, environmentId: tenant.environmentId };
      const { authenticate } = server.sump.services.environmentAuth;
      await expect(authenticate({ scope, lookup: { identifier: user.email.toUpperCase() }, password: user.password, address: null })).resolves.toMatchObject({ id: user.accountId });
      await expect(authenticate({ scope, lookup: { identifier: user.username }, password: user.password, address: null })).resolves.toMatchObject({ id: user.accountId });
      await expect(authenticate({ scope, lookup: { identifier: user.email }, password: 'wrong password', address: null })).rejects.toMatchObject({ code: 'auth.invalid_credentials', status: 401 });
      const otherScope = { tenantId: other.tenantId, environmentId: other.environmentId };
      await expect(authenticate({ scope: otherScope, lookup: { email: user.email }, password: user.password, address: null })).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
      // an environment id under the wrong tenant is no scope at all
      const mixed = { tenantId: other.tenantId, environmentId: tenant.environmentId };
      await expect(authenticate({ scope: mixed, lookup: { email: user.email }, password: user.password, address: null })).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
    });
  });
});
