import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  addTenantAccount,
  countRows,
  createClient,
  createEnvironment,
  createEnvironmentWithSettings,
  createTenant,
  signupUser,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { signInThroughLoginPage } from '../helpers/oidc.js';
import { startMailTestServer } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';
import { deleteExpiredRows } from '../../src/background.js';

const NEW_PASSWORD = 'a brand new passphrase';
const FORGOT_ANSWER = { message: 'If an account exists with this identifier, a reset link has been sent.' };

/** Forgot / reset password through the API, the outbox and a real SMTP server (issue 3 item 8, issue 4 item 3). */
describe('password reset', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;

  beforeAll(async () => {
    mailing = await startMailTestServer({ env: { MAIL_FROM: 'sump <no-reply@sump.test>' } });
    ({ server, smtp } = mailing);
  });
  afterAll(async () => {
    await mailing.close();
  });

  const tenantAuth = (tenant: Pick<TestTenant, 'tenantId'>, path: string) => `/api/v1/auth/tenants/${tenant.tenantId}${path}`;
  const envAuth = (environmentId: string, path: string) => `/api/v1/auth/environments/${environmentId}${path}`;

  /** Sends what the outbox holds and answers the newest mail to the address. */
  async function lastMailTo(address: string) {
    await server.sump.services.mail.deliverDue();
    const mails = mailsTo(smtp.received, address);
    const mail = mails[mails.length - 1];
    if (!mail) throw new Error(`no mail to ${address}`);
    return mail;
  }
  const tokenOf = (link: URL) => link.searchParams.get('token') as string;

  describe('tenant accounts', () => {
    it('mails a link built from PUBLIC_URL, even with a forged Host, and the reset works once', async () => {
      const tenant = await createTenant(server);
      const forgot = await request(server.url)
        .post(tenantAuth(tenant, '/forgot-password'))
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .send({ email: tenant.email });
      expect(forgot.status).toBe(200);
      expect(forgot.body).toEqual(FORGOT_ANSWER);

      const mail = await lastMailTo(tenant.email);
      expect(mail.raw).not.toContain('evil.example');
      const link = resetLinkIn(mail);
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/tenants/${tenant.tenantId}/reset-password`);
      const token = tokenOf(link);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // only the hash is stored
      expect(JSON.stringify(await server.db('link_tokens').where({ tenant_id: tenant.tenantId }))).not.toContain(token);

      const reset = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token, newPassword: NEW_PASSWORD });
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ success: true, message: expect.any(String) });

      const oldLogin = await request(server.url).post(tenantAuth(tenant, '/login')).send({ email: tenant.email, password: tenant.password });
      expect(oldLogin.status).toBe(401);
      const newLogin = await request(server.url).post(tenantAuth(tenant, '/login')).send({ email: tenant.email, password: NEW_PASSWORD });
      expect(newLogin.status).toBe(200);
      const oldSession = await request(server.url).get(tenantAuth(tenant, '/session')).set('Cookie', tenant.cookie);
      expect(oldSession.status).toBe(401);

      const notice = await lastMailTo(tenant.email);
      expect(notice.raw).toMatch(/Subject: Your password for .* was changed/);

      const again = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token, newPassword: 'yet another passphrase' });
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ code: 'auth.invalid_token' });
    });

    it('answers the same for an unknown identifier, and mails nothing', async () => {
      const tenant = await createTenant(server);
      for (const body of [{ email: 'nobody-here@example.com' }, { username: 'no_such_user' }, { phone: '+14155550000' }]) {
        const response = await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send(body);
        expect(response.status).toBe(200);
        expect(response.body).toEqual(FORGOT_ANSWER);
      }
      expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId })).toBe(0);
      expect(await countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId })).toBe(0);
    });

    it('takes exactly one identifier and a valid new password', async () => {
      const tenant = await createTenant(server);
      const none = await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({});
      expect(none.status).toBe(400);
      const two = await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: tenant.email, username: tenant.username });
      expect(two.status).toBe(400);
      const short = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token: 'x', newPassword: 'short' });
      expect(short.status).toBe(400);
      expect(short.body).toMatchObject({ code: 'request.validation_failed' });
      const unknown = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token: 'not-a-token', newPassword: NEW_PASSWORD });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 'auth.invalid_token' });
      const badTenant = await request(server.url).post('/api/v1/auth/tenants/not-a-uuid/forgot-password').send({ email: tenant.email });
      expect(badTenant.status).toBe(400);
    });

    it('uses a token once when two resets race: one 200, one 400', async () => {
      const tenant = await createTenant(server);
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ username: tenant.username }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(tenant.email)));
      const answers = await Promise.all(
        ['first racing passphrase', 'second racing passphrase'].map((newPassword) =>
          request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token, newPassword }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(answers.find((answer) => answer.status === 400)?.body).toMatchObject({ code: 'auth.invalid_token' });
    });

    it('refuses an expired link, and a new request voids the older link', async () => {
      const tenant = await createTenant(server);
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: tenant.email }).expect(200);
      const first = tokenOf(resetLinkIn(await lastMailTo(tenant.email)));
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: tenant.email }).expect(200);
      const second = tokenOf(resetLinkIn(await lastMailTo(tenant.email)));
      expect(second).not.toBe(first);
      const voided = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token: first, newPassword: NEW_PASSWORD });
      expect(voided.status).toBe(400);

      // a reset link lives one hour
      const row = await server.db('link_tokens').where({ tenant_id: tenant.tenantId, used_at: null }).first();
      expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(3600 * 1000);
      await server.db('link_tokens').where({ tenant_id: tenant.tenantId, id: row.id }).update({ expires_at: new Date(Date.now() - 1000) });
      const expired = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token: second, newPassword: NEW_PASSWORD });
      expect(expired.status).toBe(400);
      expect(expired.body).toMatchObject({ code: 'auth.invalid_token' });
    });

    it('voids a pending link when the password is changed otherwise', async () => {
      const tenant = await createTenant(server);
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: tenant.email }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(tenant.email)));
      await request(server.url)
        .post(tenantAuth(tenant, '/change-password'))
        .set('Cookie', tenant.cookie)
        .set('Origin', server.url)
        .send({ currentPassword: tenant.password, newPassword: NEW_PASSWORD })
        .expect(200);
      const reset = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token, newPassword: 'some other passphrase' });
      expect(reset.status).toBe(400);
      expect(reset.body).toMatchObject({ code: 'auth.invalid_token' });
      // a change, like a reset, tells the owner of the address, with no link in the notice
      const notice = decodedMail(await lastMailTo(tenant.email));
      expect(notice).toMatch(/^Subject: Your password for .+ was changed$/m);
      expect(notice).not.toMatch(/reset-password\?token=/);
    });

    it('tells an end user by mail when their password is changed through change-password', async () => {
      const tenant = await createTenant(server);
      const person = await signupUser(server, tenant.environmentId);
      await request(server.url)
        .post(envAuth(tenant.environmentId, '/change-password'))
        .set('Authorization', `Bearer ${person.sessionToken}`)
        .send({ currentPassword: person.password, newPassword: NEW_PASSWORD })
        .expect(200);
      const notice = decodedMail(await lastMailTo(person.email));
      expect(notice).toMatch(/^Subject: Your password for .+ was changed$/m);
    });

    it('voids a pending link when the account is disabled; enabling it again does not bring the link back', async () => {
      const tenant = await createTenant(server);
      const admin = await addTenantAccount(server, tenant, 'admin');
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: admin.email }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(admin.email)));
      const accountPath = `/api/v1/tenants/${tenant.tenantId}/accounts/${admin.accountId}`;
      for (const action of ['disable', 'enable']) {
        await request(server.url).patch(`${accountPath}/${action}`).set('Cookie', tenant.cookie).set('Origin', server.url).expect(200);
      }
      const reset = await request(server.url).post(tenantAuth(tenant, '/reset-password')).send({ token, newPassword: NEW_PASSWORD });
      expect([reset.status, reset.body.code]).toEqual([400, 'auth.invalid_token']);
    });

    it('deletes expired links in the background clean-up', async () => {
      const tenant = await createTenant(server);
      await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: tenant.email }).expect(200);
      await server.sump.services.linkRequests.processLinkRequests();
      expect(await countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId })).toBe(1);
      await deleteExpiredRows(server.db, new Date(Date.now() + 2 * 3600 * 1000));
      expect(await countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId })).toBe(0);
    });

    it('rate-limits forgot-password per identifier', async () => {
      const tenant = await createTenant(server);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        statuses.push((await request(server.url).post(tenantAuth(tenant, '/forgot-password')).send({ email: 'someone-else@example.com' })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    });
  });

  describe('environment accounts', () => {
    let tenant: TestTenant;
    beforeAll(async () => {
      tenant = await createTenant(server);
    });

    async function signInWithOidc(person: TestUser) {
      const client = await createClient(server, tenant);
      return signInThroughLoginPage(server, tenant.environmentId, client, person, { scope: 'openid email offline_access', prompt: 'consent' });
    }

    it('resets through the API: sessions and refresh tokens end, the new password works', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const { config, tokens } = await signInWithOidc(person);
      expect(tokens.refresh_token).toEqual(expect.any(String));

      const forgot = await request(server.url)
        .post(envAuth(tenant.environmentId, '/forgot-password'))
        .set('X-Forwarded-Host', 'evil.example')
        .send({ email: person.email });
      expect(forgot.status).toBe(200);
      expect(forgot.body).toEqual(FORGOT_ANSWER);
      const link = resetLinkIn(await lastMailTo(person.email));
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/reset-password`);

      const reset = await request(server.url)
        .post(envAuth(tenant.environmentId, '/reset-password'))
        .send({ token: tokenOf(link), newPassword: NEW_PASSWORD });
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ success: true, message: expect.any(String) });

      const oldSession = await request(server.url).get(envAuth(tenant.environmentId, '/session')).set('Authorization', `Bearer ${person.sessionToken}`);
      expect(oldSession.status).toBe(401);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
      const oldLogin = await request(server.url).post(envAuth(tenant.environmentId, '/login')).send({ email: person.email, password: person.password });
      expect(oldLogin.status).toBe(401);
      const newLogin = await request(server.url).post(envAuth(tenant.environmentId, '/login')).send({ email: person.email, password: NEW_PASSWORD });
      expect(newLogin.status).toBe(200);
    });

    it('voids a pending link when the account is disabled; enabling it again does not bring the link back (regression)', async () => {
      const tenant = await createTenant(server);
      const person = await signupUser(server, tenant.environmentId);
      await request(server.url).post(envAuth(tenant.environmentId, '/forgot-password')).send({ email: person.email }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(person.email)));
      const accountPath = `/api/v1/environments/${tenant.environmentId}/accounts/${person.accountId}`;
      for (const action of ['disable', 'enable']) {
        await request(server.url).patch(`${accountPath}/${action}`).set('Cookie', tenant.cookie).set('Origin', server.url).expect(200);
      }
      const reset = await request(server.url).post(envAuth(tenant.environmentId, '/reset-password')).send({ token, newPassword: NEW_PASSWORD });
      expect([reset.status, reset.body.code]).toEqual([400, 'auth.invalid_token']);
    });

    it('refuses a token of environment A at environment B and at the tenant', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const other = await createEnvironment(server, tenant);
      await request(server.url).post(envAuth(tenant.environmentId, '/forgot-password')).send({ username: person.username }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(person.email)));
      for (const path of [envAuth(other.id, '/reset-password'), tenantAuth(tenant, '/reset-password')]) {
        const response = await request(server.url).post(path).send({ token, newPassword: NEW_PASSWORD });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: 'auth.invalid_token' });
      }
      // still good where it was made
      const reset = await request(server.url).post(envAuth(tenant.environmentId, '/reset-password')).send({ token, newPassword: NEW_PASSWORD });
      expect(reset.status).toBe(200);
    });

    it("applies the environment's password policy, without using the token up", async () => {
      const environmentId = await createEnvironmentWithSettings(server, tenant, { passwordPolicy: { minLength: 24 } });
      const person = await signupUser(server, environmentId, { password: 'a passphrase long enough, really' });
      await request(server.url).post(envAuth(environmentId, '/forgot-password')).send({ email: person.email }).expect(200);
      const token = tokenOf(resetLinkIn(await lastMailTo(person.email)));
      const short = await request(server.url).post(envAuth(environmentId, '/reset-password')).send({ token, newPassword: NEW_PASSWORD });
      expect(short.status).toBe(400);
      expect(short.body).toMatchObject({ code: 'request.validation_failed', errors: [{ field: 'newPassword' }] });
      const ok = await request(server.url).post(envAuth(environmentId, '/reset-password')).send({ token, newPassword: 'another passphrase, long enough' });
      expect(ok.status).toBe(200);
    });
  });
});
