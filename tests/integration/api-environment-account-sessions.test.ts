import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  addTenantAccount,
  cookieFrom,
  countRows,
  createClient,
  DEFAULT_PASSWORD,
  DEFAULT_REDIRECT_URI,
  signupUser,
  startServerWithTenants,
  type TestClient,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import type { HttpBrowser } from '../helpers/http-browser.js';
import { authorizationRequest, discoverClient, newBrowser } from '../helpers/oidc.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'a brand new passphrase';

/** change-password, sessions, logout-all, and what ending an account does to its OIDC tokens. */
describe('environment account sessions', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let other: TestTenant;
  let client: TestClient;
  beforeAll(async () => {
    ({ server, tenant, other } = await startServerWithTenants());
    client = await createClient(server, tenant);
  });
  afterAll(async () => {
    await server.close();
  });

  const auth = (path: string) => `/api/v1/auth/environments/${tenant.environmentId}${path}`;
  const bearer = (token: string | null) => ({ Authorization: `Bearer ${token}` });
  const login = (person: TestUser, password = person.password) =>
    request(server.url).post(auth('/login')).send({ email: person.email, password });
  const sessionWorks = async (token: string | null) =>
    (await request(server.url).get(auth('/session')).set(bearer(token))).status === 200;

  /** Signs the person in through the hosted pages: the browser (with its OIDC session) and tokens. */
  async function signIn(person: TestUser): Promise<{ config: oidc.Configuration; browser: HttpBrowser; tokens: oidc.TokenEndpointResponse }> {
    const config = await discoverClient(server, tenant.environmentId, client);
    const start = await authorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const browser = newBrowser();
    const loginPage = await browser.follow(start.url.href);
    const consent = await browser.submit(loginPage, { identifier: person.email, password: person.password });
    const callback = await browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    return { config, browser, tokens };
  }

  /** Everything the OIDC sign-in gave is refused: refresh, userinfo, and a silent re-authentication. */
  async function expectOidcEnded(signedIn: Awaited<ReturnType<typeof signIn>>, accountId: string) {
    const { config, browser, tokens } = signedIn;
    expect(await countRows(server.db, 'oidc_artifacts', { environment_id: tenant.environmentId, account_id: accountId })).toBe(0);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    const userinfo = await fetch(config.serverMetadata().userinfo_endpoint as string, { headers: bearer(tokens.access_token) });
    expect(userinfo.status).toBe(401);
    const silent = await authorizationRequest(config, { prompt: 'none' });
    const answer = await browser.follow(silent.url.href);
    expect(answer.url.startsWith(DEFAULT_REDIRECT_URI)).toBe(true);
    expect(new URL(answer.url).searchParams.get('error')).toBe('login_required');
  }

  describe('OIDC artefacts end with the account (regression: sessions outlived it)', () => {
    it('a signed-in account works until it is disabled, then its refresh token, access token and session are refused', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const signedIn = await signIn(person);
      const userinfo = await fetch(signedIn.config.serverMetadata().userinfo_endpoint as string, {
        headers: bearer(signedIn.tokens.access_token),
      });
      expect(userinfo.status).toBe(200);
      expect(await countRows(server.db, 'oidc_artifacts', { account_id: person.accountId })).toBeGreaterThan(0);
      const disabled = await request(server.url)
        .patch(`/api/v1/environments/${tenant.environmentId}/accounts/${person.accountId}/disable`)
        .set('Cookie', tenant.cookie);
      expect(disabled.status).toBe(200);
      await expectOidcEnded(signedIn, person.accountId);
      expect(await sessionWorks(person.sessionToken)).toBe(false);
    });

    it('deleting the account ends them too', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const signedIn = await signIn(person);
      const deleted = await request(server.url)
        .delete(`/api/v1/environments/${tenant.environmentId}/accounts/${person.accountId}`)
        .set(bearer(person.sessionToken));
      expect(deleted.status).toBe(204);
      await expectOidcEnded(signedIn, person.accountId);
    });
  });

  describe('POST …/change-password', () => {
    it('changes the password, ends the other API sessions and the OIDC ones, and rotates the current session', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const second = (await login(person)).body.sessionToken as string;
      const signedIn = await signIn(person);
      const response = await request(server.url)
        .post(auth('/change-password'))
        .set(bearer(person.sessionToken))
        .send({ currentPassword: person.password, newPassword: NEW_PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ accountId: person.accountId, sessionToken: expect.any(String) });
      expect(response.body.sessionToken).not.toBe(person.sessionToken);
      expect(cookieFrom(response, 'sump_env_session')).toBe(`sump_env_session=${response.body.sessionToken}`);
      expect(JSON.stringify(response.body)).not.toContain(NEW_PASSWORD);
      expect(await sessionWorks(person.sessionToken)).toBe(false);
      expect(await sessionWorks(second)).toBe(false);
      expect(await sessionWorks(response.body.sessionToken)).toBe(true);
      expect((await login(person)).status).toBe(401);
      expect((await login(person, NEW_PASSWORD)).status).toBe(200);
      await expectOidcEnded(signedIn, person.accountId);
    });

    it.each([
      ['a wrong current password', { currentPassword: 'not the password', newPassword: NEW_PASSWORD }, 'currentPassword'],
      ['a short new password', { currentPassword: DEFAULT_PASSWORD, newPassword: 'short' }, 'newPassword'],
      ['no current password', { newPassword: NEW_PASSWORD }, 'currentPassword'],
      ['an unknown field', { currentPassword: DEFAULT_PASSWORD, newPassword: NEW_PASSWORD, accountId: 'x' }, 'accountId'],
    ])('refuses %s with 400 and changes nothing', async (_what, body, field) => {
      const person = await signupUser(server, tenant.environmentId);
      const before = await server.db('environment_accounts').where({ id: person.accountId }).first();
      const response = await request(server.url).post(auth('/change-password')).set(bearer(person.sessionToken)).send(body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await server.db('environment_accounts').where({ id: person.accountId }).first()).toEqual(before);
      expect(await sessionWorks(person.sessionToken)).toBe(true);
    });

    it('needs the account’s own session of this environment (401 otherwise), and checks a cookie write’s origin', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const body = { currentPassword: person.password, newPassword: NEW_PASSWORD };
      expect((await request(server.url).post(auth('/change-password')).send(body)).status).toBe(401);
      expect((await request(server.url).post(auth('/change-password')).set('Cookie', tenant.cookie).send(body)).status).toBe(401);
      const elsewhere = await request(server.url)
        .post(`/api/v1/auth/environments/${other.environmentId}/change-password`)
        .set(bearer(person.sessionToken))
        .send(body);
      expect(elsewhere.status).toBe(401);
      const crossSite = await request(server.url)
        .post(auth('/change-password'))
        .set('Cookie', person.cookie!)
        .set('Sec-Fetch-Site', 'cross-site')
        .send(body);
      expect(crossSite.status).toBe(403);
      expect((await login(person)).status).toBe(200);
    });
  });

  describe('GET …/sessions and POST …/logout-all', () => {
    it('lists the account’s live sessions only, paginated, and logout-all ends every one', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const stranger = await signupUser(server, tenant.environmentId);
      const second = (await login(person)).body.sessionToken as string;
      const list = await request(server.url).get(auth('/sessions')).set(bearer(person.sessionToken));
      expect(list.status).toBe(200);
      expect(list.body.nextCursor).toBeNull();
      expect(list.body.items).toHaveLength(2);
      expect(list.body.items.every((item: { accountId: string }) => item.accountId === person.accountId)).toBe(true);
      expect(JSON.stringify(list.body)).not.toMatch(/token|hash/i);
      const first = await request(server.url).get(`${auth('/sessions')}?limit=1`).set(bearer(second));
      expect(first.body.items).toHaveLength(1);
      const rest = await request(server.url).get(`${auth('/sessions')}?limit=1&cursor=${first.body.nextCursor}`).set(bearer(second));
      expect(rest.body).toMatchObject({ items: [expect.any(Object)], nextCursor: null });
      expect(rest.body.items[0].id).not.toBe(first.body.items[0].id);
      expect((await request(server.url).get(`${auth('/sessions')}?limit=0`).set(bearer(second))).status).toBe(400);
      expect((await request(server.url).get(auth('/sessions'))).status).toBe(401);

      const out = await request(server.url).post(auth('/logout-all')).set(bearer(person.sessionToken));
      expect(out.status).toBe(200);
      expect(out.body).toEqual({ revoked: 2 });
      expect(cookieFrom(out, 'sump_env_session')).toBe('sump_env_session=');
      expect(await sessionWorks(person.sessionToken)).toBe(false);
      expect(await sessionWorks(second)).toBe(false);
      expect(await sessionWorks(stranger.sessionToken)).toBe(true);
      expect((await request(server.url).post(auth('/logout-all')).set(bearer(person.sessionToken))).status).toBe(401);
    });

    it('a tenant account’s session is no environment session (401)', async () => {
      const admin = await addTenantAccount(server, tenant, 'admin');
      expect((await request(server.url).get(auth('/sessions')).set('Cookie', admin.cookie)).status).toBe(401);
      expect((await request(server.url).post(auth('/logout-all')).set('Cookie', admin.cookie)).status).toBe(401);
    });
  });
});
