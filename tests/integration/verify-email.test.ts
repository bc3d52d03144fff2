import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  countRows,
  createClient,
  createEnvironment,
  createEnvironmentWithSettings,
  createTenant,
  DEFAULT_PASSWORD,
  signupBody,
  signupUser,
  unique,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { findElement, HttpBrowser, pageText, readForm, type PageResponse } from '../helpers/http-browser.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { signInThroughLoginPage } from '../helpers/oidc.js';
import { startMailTestServer, type ReceivedMail } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

const CONFIRM = { name: 'confirm', value: 'yes' };

/**
 * Email verification (issue 3 item 8, issue 4; DESIGN.md "verify email"): the links mailed on
 * signup and on every email change, the confirm pages under /oidc/:envId and /tenants/:tenantId,
 * the notice to the old address, and asking again. Mails are read from a real SMTP server.
 */
describe('email verification', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await mailing.close();
  });

  /** Sends what the outbox holds and answers the mails that reached the address, oldest first. */
  async function mailsAt(address: string): Promise<ReceivedMail[]> {
    await server.sump.services.mail.deliverDue();
    return mailsTo(smtp.received, address);
  }
  async function lastMailTo(address: string): Promise<ReceivedMail> {
    const mail = (await mailsAt(address)).at(-1);
    if (!mail) throw new Error(`no mail to ${address}`);
    return mail;
  }
  function verifyLinkIn(mail: ReceivedMail): URL {
    const match = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(decodedMail(mail));
    if (!match) throw new Error(`no verify link in the mail:\n${decodedMail(mail).slice(0, 2000)}`);
    return new URL(match[0]);
  }
  const verifyLinkTo = async (address: string) => verifyLinkIn(await lastMailTo(address));
  const newAddress = () => `moved-${unique()}@example.com`;

  const envAccountPath = (environmentId: string, accountId: string) => `/api/v1/environments/${environmentId}/accounts/${accountId}`;
  const tenantAccountPath = (accountId: string) => `/api/v1/tenants/${tenant.tenantId}/accounts/${accountId}`;

  /** The environment account as its admin reads it. */
  async function envAccount(environmentId: string, accountId: string) {
    const response = await request(server.url).get(envAccountPath(environmentId, accountId)).set('Cookie', tenant.cookie);
    expect(response.status).toBe(200);
    return response.body as { email: string; emailVerified: boolean };
  }
  async function tenantAccount(accountId: string) {
    const response = await request(server.url).get(tenantAccountPath(accountId)).set('Cookie', tenant.cookie);
    expect(response.status).toBe(200);
    return response.body as { email: string; emailVerified: boolean };
  }

  /** PATCH …/email by the account itself, through its environment session (bearer). */
  const changeOwnEnvEmail = (environmentId: string, person: TestUser, email: string) =>
    request(server.url)
      .patch(`${envAccountPath(environmentId, person.accountId)}/email`)
      .set('Authorization', `Bearer ${person.sessionToken}`)
      .send({ email });
  /** PATCH …/email by the tenant's owner. */
  const adminChangesEnvEmail = (environmentId: string, accountId: string, email: string) =>
    request(server.url)
      .patch(`${envAccountPath(environmentId, accountId)}/email`)
      .set('Cookie', tenant.cookie)
      .set('Origin', server.url)
      .send({ email });

  /** Opens the link, checks the confirm form, and presses its button. */
  async function confirm(link: URL, browser = new HttpBrowser()): Promise<PageResponse> {
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    return browser.submit(page, {}, { button: CONFIRM });
  }
  const expectInvalidLinkPage = (page: PageResponse) => {
    expect(page.status).toBe(400);
    expect(pageText(page)).toContain('This link does not work');
  };
  const unusedVerifyTokens = (accountId: string) =>
    countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId, account_id: accountId, purpose: 'verify_email', used_at: null });

  describe('environment accounts', () => {
    async function signInWithOidc(person: TestUser) {
      const client = await createClient(server, tenant);
      return signInThroughLoginPage(server, tenant.environmentId, client, person, { scope: 'openid email', prompt: 'consent' });
    }

    it('mails a link on signup; opening it changes nothing, the confirm button verifies, once', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const { config, tokens } = await signInWithOidc(person);
      const claimsBefore = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
      expect(claimsBefore).toMatchObject({ email: person.email, email_verified: false });

      const mail = await lastMailTo(person.email);
      expect(decodedMail(mail)).toMatch(/Subject: Verify your email address for /);
      expect(decodedMail(mail)).toContain('Content-Type: text/html');
      const link = verifyLinkIn(mail);
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/verify-email`);
      const token = link.searchParams.get('token') as string;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // only the hash is stored; a verification link lives 24 hours
      const rows = await server.db('link_tokens').where({ tenant_id: tenant.tenantId, account_id: person.accountId });
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows).toHaveLength(1);
      expect(rows[0].purpose).toBe('verify_email');
      expect(new Date(rows[0].expires_at).getTime() - new Date(rows[0].created_at).getTime()).toBe(24 * 3600 * 1000);

      // a mail scanner fetches the link, twice: nothing changes
      for (let i = 0; i < 2; i += 1) expect((await fetch(link.href)).status).toBe(200);
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });
      expect(await unusedVerifyTokens(person.accountId)).toBe(1);

      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('cache-control')).toContain('no-store');
      expect(findElement(page, 'button[name="confirm"]')).not.toBeNull();
      expect(Object.keys(readForm(page).fields).sort()).toEqual(['csrf', 'token']);
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });

      const done = await browser.submit(page, {}, { button: CONFIRM });
      expect(done.status).toBe(200);
      expect(pageText(done)).toContain('Your email address is verified');
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: true });
      const claimsAfter = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
      expect(claimsAfter).toMatchObject({ email: person.email, email_verified: true });
      const events = await server.db('audit_events').where({ tenant_id: tenant.tenantId, action: 'environment_account.email_verified', target_id: person.accountId });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor_type: 'anonymous', target_type: 'environment_account', ip: expect.any(String) });

      // used: opening or posting it again is the error page
      expectInvalidLinkPage(await browser.follow(link.href));
      expectInvalidLinkPage(await browser.submit(page, {}, { button: CONFIRM }));
    });

    it('on a change by the account itself: a link to the new address, a notice without a link to the old one', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const signupLink = await verifyLinkTo(person.email);
      const moved = newAddress();
      const changed = await changeOwnEnvEmail(tenant.environmentId, person, moved);
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email: moved, emailVerified: false });

      const notice = await lastMailTo(person.email);
      const noticeText = decodedMail(notice);
      expect(noticeText).toMatch(/Subject: The email address of your .* account was changed/);
      expect(noticeText).toContain('contact the team that runs');
      expect(noticeText).not.toMatch(/https?:\/\//);
      expect(noticeText).not.toContain(moved);

      const link = await verifyLinkTo(moved);
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/verify-email`);
      // the link mailed to the old address before the change verifies nothing now
      expectInvalidLinkPage(await new HttpBrowser().follow(signupLink.href));

      const done = await confirm(link);
      expect(done.status).toBe(200);
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ email: moved, emailVerified: true });
    });

    it('on a change by an admin: the same mails; a link from before a second change, and a pending reset link, are refused', async () => {
      const person = await signupUser(server, tenant.environmentId);
      await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/forgot-password`)
        .send({ email: person.email })
        .expect(200);
      // the signup's link and the reset link go out in one batch, in no set order
      const resetMail = (await mailsAt(person.email)).find((mail) => decodedMail(mail).includes('/reset-password?token='));
      const resetToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(resetMail ? decodedMail(resetMail) : '')?.[1];
      expect(resetToken).toEqual(expect.any(String));

      const first = newAddress();
      const firstChange = await adminChangesEnvEmail(tenant.environmentId, person.accountId, first);
      expect(firstChange.status).toBe(200);
      expect(firstChange.body).toMatchObject({ email: first, emailVerified: false });
      expect(decodedMail(await lastMailTo(person.email))).toMatch(/Subject: The email address of your .* account was changed/);
      const firstLink = await verifyLinkTo(first);

      // the reset link went to the old address: void
      const reset = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/reset-password`)
        .send({ token: resetToken, newPassword: 'a brand new passphrase' });
      expect(reset.status).toBe(400);
      expect(reset.body).toMatchObject({ code: 'auth.invalid_token' });

      const second = newAddress();
      expect((await adminChangesEnvEmail(tenant.environmentId, person.accountId, second)).status).toBe(200);
      expect(decodedMail(await lastMailTo(first))).toMatch(/Subject: The email address of your .* account was changed/);
      const secondLink = await verifyLinkTo(second);

      // the page of the first link, opened before the second change and posted after it
      const browser = new HttpBrowser();
      expectInvalidLinkPage(await browser.follow(firstLink.href));
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ email: second, emailVerified: false });
      expect((await confirm(secondLink)).status).toBe(200);
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ email: second, emailVerified: true });
    });

    it('an account made without a password gets its set-password link again at the new address', async () => {
      const made = { name: 'Annie Easley', email: `nopass-${unique()}@example.com`, username: `nopass_${unique()}` };
      const created = await request(server.url)
        .post(`/api/v1/environments/${tenant.environmentId}/accounts`)
        .set('Cookie', tenant.cookie)
        .set('Origin', server.url)
        .send(made);
      expect(created.status).toBe(201);
      const oldSetLink = resetLinkIn(await lastMailTo(made.email));
      const moved = newAddress();
      expect((await adminChangesEnvEmail(tenant.environmentId, created.body.id, moved)).status).toBe(200);

      const atNew = await mailsAt(moved);
      expect(atNew.map((mail) => /Subject: ([^\r\n]+)/.exec(decodedMail(mail))?.[1]).sort()).toEqual([
        expect.stringMatching(/^Set your password for /),
        expect.stringMatching(/^Verify your email address for /),
      ]);
      const newSetLink = resetLinkIn(atNew.find((mail) => decodedMail(mail).includes('/reset-password?token=')) as ReceivedMail);
      const setPassword = (link: URL) =>
        request(server.url)
          .post(`/api/v1/auth/environments/${tenant.environmentId}/reset-password`)
          .send({ token: link.searchParams.get('token'), newPassword: 'a password of my own' });
      expect((await setPassword(oldSetLink)).status).toBe(400);
      expect((await setPassword(newSetLink)).status).toBe(200);
    });

    it('a page opened before an email change cannot verify the new address when posted after it', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const link = await verifyLinkTo(person.email);
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      expect(page.status).toBe(200);
      expect((await changeOwnEnvEmail(tenant.environmentId, person, newAddress())).status).toBe(200);
      expectInvalidLinkPage(await browser.submit(page, {}, { button: CONFIRM }));
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });
    });

    it('the same address in another case stays verified and mails nothing', async () => {
      const person = await signupUser(server, tenant.environmentId);
      expect((await confirm(await verifyLinkTo(person.email))).status).toBe(200);
      const before = (await mailsAt(person.email)).length;
      const changed = await changeOwnEnvEmail(tenant.environmentId, person, person.email.toUpperCase());
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email: person.email.toUpperCase(), emailVerified: true });
      expect(await mailsAt(person.email)).toHaveLength(before);
    });

    it('where verification is required: signup has no session and login is refused until the link is confirmed', async () => {
      const environmentId = await createEnvironmentWithSettings(server, tenant, {
        emailVerification: { required: true },
        branding: { displayName: 'Acme Portal' },
      });
      const body = signupBody();
      const signup = await request(server.url).post(`/api/v1/auth/environments/${environmentId}/signup`).send(body);
      expect(signup.status).toBe(201);
      expect(signup.body).toMatchObject({ session: null, sessionToken: null });
      const login = () =>
        request(server.url).post(`/api/v1/auth/environments/${environmentId}/login`).send({ email: body.email, password: body.password });
      const refused = await login();
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'account.email_unverified' });

      // in the environment's branding
      const mail = await lastMailTo(body.email);
      expect(decodedMail(mail)).toContain('Subject: Verify your email address for Acme Portal');
      const link = verifyLinkIn(mail);
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${environmentId}/verify-email`);
      const done = await confirm(link);
      expect(done.status).toBe(200);
      expect(pageText(done)).toContain('Acme Portal');
      expect((await login()).status).toBe(200);

      // an admin's account gets a link there unless the admin vouched for the address
      const made = { name: 'Dorothy Vaughan', email: `made-${unique()}@example.com`, username: `made_${unique()}`, password: DEFAULT_PASSWORD };
      const created = await request(server.url)
        .post(`/api/v1/environments/${environmentId}/accounts`)
        .set('Cookie', tenant.cookie)
        .set('Origin', server.url)
        .send(made);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ emailVerified: false });
      expect((await confirm(await verifyLinkTo(made.email))).status).toBe(200);
      expect(await envAccount(environmentId, created.body.id)).toMatchObject({ emailVerified: true });
      const vouched = { ...made, email: `vouched-${unique()}@example.com`, username: `vouched_${unique()}`, emailVerified: true };
      const trusted = await request(server.url)
        .post(`/api/v1/environments/${environmentId}/accounts`)
        .set('Cookie', tenant.cookie)
        .set('Origin', server.url)
        .send(vouched);
      expect(trusted.status).toBe(201);
      expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: vouched.email })).toBe(0);
    });

    it('of two concurrent confirmations exactly one verifies; the other gets the invalid-link page', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const link = await verifyLinkTo(person.email);
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      expect(page.status).toBe(200);
      const answers = await Promise.all([0, 1].map(() => browser.submit(page, {}, { button: CONFIRM })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(pageText(answers.find((answer) => answer.status === 200) as PageResponse)).toContain('Your email address is verified');
      expect(pageText(answers.find((answer) => answer.status === 400) as PageResponse)).toContain('This link does not work');
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: true });
      expect(await countRows(server.db, 'audit_events', { tenant_id: tenant.tenantId, action: 'environment_account.email_verified', target_id: person.accountId })).toBe(1);
    });

    it('refuses an expired link', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const link = await verifyLinkTo(person.email);
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      expect(page.status).toBe(200);
      await server.db('link_tokens')
        .where({ tenant_id: tenant.tenantId, account_id: person.accountId, purpose: 'verify_email' })
        .update({ expires_at: new Date(Date.now() - 1000) });
      expectInvalidLinkPage(await browser.submit(page, {}, { button: CONFIRM }));
      expectInvalidLinkPage(await browser.follow(link.href));
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });
    });

    it("refuses environment A's link at environment B's page and at the tenant's page, without using it up", async () => {
      const person = await signupUser(server, tenant.environmentId);
      const other = await createEnvironment(server, tenant);
      const link = await verifyLinkTo(person.email);
      const token = link.searchParams.get('token') as string;
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      const { csrf } = readForm(page).fields as { csrf: string };
      for (const path of [`/oidc/${other.id}/verify-email`, `/tenants/${tenant.tenantId}/verify-email`]) {
        expectInvalidLinkPage(await browser.follow(`${server.url}${path}?token=${token}`));
        expectInvalidLinkPage(await browser.follow(`${server.url}${path}`, { method: 'POST', form: { csrf, token, confirm: 'yes' } }));
      }
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });
      expect((await browser.submit(page, {}, { button: CONFIRM })).status).toBe(200);
    });

    it('answers 403 to a form without its CSRF token (or with another browser’s), using nothing up', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const link = await verifyLinkTo(person.email);
      const token = link.searchParams.get('token') as string;
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      const action = readForm(page).action;
      const noCsrf = await browser.follow(action, { method: 'POST', form: { token, confirm: 'yes' } });
      expect(noCsrf.status).toBe(403);
      expect(pageText(noCsrf)).toContain('The form expired');
      // a form of this browser posted from another (no CSRF cookie there)
      const elsewhere = await new HttpBrowser().follow(action, { method: 'POST', form: { ...readForm(page).fields, confirm: 'yes' } });
      expect(elsewhere.status).toBe(403);
      expect(await envAccount(tenant.environmentId, person.accountId)).toMatchObject({ emailVerified: false });
      expect((await browser.submit(page, {}, { button: CONFIRM })).status).toBe(200);
    });

    it('builds the link from PUBLIC_URL, whatever Host or X-Forwarded-Host the request had', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const moved = newAddress();
      const changed = await request(server.url)
        .patch(`${envAccountPath(tenant.environmentId, person.accountId)}/email`)
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .set('Authorization', `Bearer ${person.sessionToken}`)
        .send({ email: moved });
      expect(changed.status).toBe(200);
      const mail = await lastMailTo(moved);
      expect(mail.raw).not.toContain('evil.example');
      expect(verifyLinkIn(mail).origin).toBe(server.url);
      expect((await lastMailTo(person.email)).raw).not.toContain('evil.example');
    });

    it('answers a 400 page, never a 500, to tokens of a bad shape, on GET and POST', async () => {
      const base = `${server.url}/oidc/${tenant.environmentId}/verify-email`;
      const browser = new HttpBrowser();
      // a CSRF token of this browser, from a live page
      const person = await signupUser(server, tenant.environmentId);
      const page = await browser.follow((await verifyLinkTo(person.email)).href);
      const { csrf } = readForm(page).fields as { csrf: string };
      const queries = ['', '?token=', '?token=%00', `?token=${'A'.repeat(43)}%00`, `?token=${'x'.repeat(6000)}`, '?token=a&token=b', '?token[x]=1'];
      for (const query of queries) {
        const answer = await browser.follow(`${base}${query}`);
        expect(answer.status).toBe(400);
        expect(pageText(answer)).toContain('This link does not work');
      }
      for (const token of ['', '\u0000', `${'A'.repeat(43)}\u0000`, 'x'.repeat(10_000), '../../etc/passwd']) {
        const answer = await browser.follow(base, { method: 'POST', form: { csrf, token, confirm: 'yes' } });
        expect(answer.status).toBe(400);
        expect(pageText(answer)).toContain('This link does not work');
      }
      for (const token of ['', '\u0000', 'x'.repeat(6000)]) {
        const answer = await browser.follow(`${server.url}/tenants/${tenant.tenantId}/verify-email?token=${encodeURIComponent(token)}`);
        expect(answer.status).toBe(400);
      }
      expect((await browser.follow(`${server.url}/tenants/not-a-uuid/verify-email?token=x`)).status).toBe(404);
      expect((await browser.follow(`${server.url}/oidc/${tenant.environmentId}/verify-email`, { method: 'PUT' })).status).toBe(404);
      // the live link still works after all that
      expect((await browser.submit(page, {}, { button: CONFIRM })).status).toBe(200);
    });

    it('resends a link on request (voiding the older one), answering the same for anyone', async () => {
      const person = await signupUser(server, tenant.environmentId);
      const firstLink = await verifyLinkTo(person.email);
      const resend = (body: Record<string, unknown>) =>
        request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/resend-verification`).send(body);
      const answer = await resend({ username: person.username });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ message: expect.stringContaining('a verification link has been sent') });
      const secondLink = await verifyLinkTo(person.email);
      expect(secondLink.searchParams.get('token')).not.toBe(firstLink.searchParams.get('token'));
      expectInvalidLinkPage(await new HttpBrowser().follow(firstLink.href));
      expect((await confirm(secondLink)).status).toBe(200);

      // verified, unknown: the same answer, and no mail
      const mailsBefore = (await mailsAt(person.email)).length;
      for (const body of [{ email: person.email }, { email: 'nobody-here@example.com' }]) {
        const same = await resend(body);
        expect(same.status).toBe(200);
        expect(same.body).toEqual(answer.body);
      }
      expect(await mailsAt(person.email)).toHaveLength(mailsBefore);
      expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: 'nobody-here@example.com' })).toBe(0);

      const bad = await resend({ email: person.email, username: person.username });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'request.validation_failed' });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await resend({ email: 'someone-else@example.com' })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    });
  });

  describe('tenant accounts', () => {
    async function createUser() {
      const id = unique();
      const body = { name: 'Mary Jackson', email: `member-${id}@example.com`, username: `member_${id}`, password: DEFAULT_PASSWORD, role: 'user' };
      const created = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/accounts`)
        .set('Cookie', tenant.cookie)
        .set('Origin', server.url)
        .send(body);
      expect(created.status).toBe(201);
      const login = await request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: body.email, password: body.password });
      expect(login.status).toBe(200);
      const cookie = (login.headers['set-cookie'] as unknown as string[]).find((value) => value.startsWith('sump_session='))?.split(';')[0] as string;
      return { id: created.body.id as string, email: body.email, cookie };
    }
    const changeTenantEmail = (cookie: string, accountId: string, email: string) =>
      request(server.url).patch(`${tenantAccountPath(accountId)}/email`).set('Cookie', cookie).set('Origin', server.url).send({ email });

    it('on a change by the account itself: a link to /tenants/:tenantId/verify-email, a notice to the old address', async () => {
      const member = await createUser();
      const moved = newAddress();
      const changed = await changeTenantEmail(member.cookie, member.id, moved);
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email: moved, emailVerified: false });

      const notice = decodedMail(await lastMailTo(member.email));
      expect(notice).toMatch(/Subject: The email address of your .* account was changed/);
      expect(notice).toContain('contact an owner or administrator of');
      expect(notice).not.toMatch(/https?:\/\//);
      const link = await verifyLinkTo(moved);
      expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/tenants/${tenant.tenantId}/verify-email`);

      // a scanner's GET changes nothing
      expect((await fetch(link.href)).status).toBe(200);
      expect(await tenantAccount(member.id)).toMatchObject({ emailVerified: false });
      const browser = new HttpBrowser();
      const page = await browser.follow(link.href);
      expect(page.status).toBe(200);
      expect(findElement(page, 'button[name="confirm"]')).not.toBeNull();
      const noCsrf = await browser.follow(readForm(page).action, { method: 'POST', form: { token: readForm(page).fields.token ?? '', confirm: 'yes' } });
      expect(noCsrf.status).toBe(403);
      expect(await tenantAccount(member.id)).toMatchObject({ emailVerified: false });

      const done = await browser.submit(page, {}, { button: CONFIRM });
      expect(done.status).toBe(200);
      expect(pageText(done)).toContain('Your email address is verified');
      expect(await tenantAccount(member.id)).toMatchObject({ email: moved, emailVerified: true });
      expect(await countRows(server.db, 'audit_events', { tenant_id: tenant.tenantId, action: 'tenant_account.email_verified', target_id: member.id })).toBe(1);
      expectInvalidLinkPage(await browser.submit(page, {}, { button: CONFIRM }));
    });

    it('on a change by the owner: the same; a link from before a second change, an expired one and a racing second use are refused', async () => {
      const member = await createUser();
      const first = newAddress();
      const changed = await changeTenantEmail(tenant.cookie, member.id, first);
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email: first, emailVerified: false });
      expect(decodedMail(await lastMailTo(member.email))).toMatch(/Subject: The email address of your .* account was changed/);
      const firstLink = await verifyLinkTo(first);

      const second = newAddress();
      expect((await changeTenantEmail(tenant.cookie, member.id, second)).status).toBe(200);
      expectInvalidLinkPage(await new HttpBrowser().follow(firstLink.href));
      const secondLink = await verifyLinkTo(second);

      // an expired link is refused; asking again through the API mails a fresh one
      await server.db('link_tokens')
        .where({ tenant_id: tenant.tenantId, account_id: member.id, purpose: 'verify_email', used_at: null })
        .update({ expires_at: new Date(Date.now() - 1000) });
      expectInvalidLinkPage(await new HttpBrowser().follow(secondLink.href));
      const resend = await request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/resend-verification`).send({ email: second });
      expect(resend.status).toBe(200);
      const freshLink = await verifyLinkTo(second);
      expect(freshLink.searchParams.get('token')).not.toBe(secondLink.searchParams.get('token'));

      const browser = new HttpBrowser();
      const page = await browser.follow(freshLink.href);
      expect(page.status).toBe(200);
      const answers = await Promise.all([0, 1].map(() => browser.submit(page, {}, { button: CONFIRM })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(await tenantAccount(member.id)).toMatchObject({ email: second, emailVerified: true });
      expect(await unusedVerifyTokens(member.id)).toBe(0);
    });

    it("refuses a tenant account's link at an environment's page and at another tenant's page", async () => {
      const member = await createUser();
      const moved = newAddress();
      expect((await changeTenantEmail(member.cookie, member.id, moved)).status).toBe(200);
      const link = await verifyLinkTo(moved);
      const token = link.searchParams.get('token') as string;
      expectInvalidLinkPage(await new HttpBrowser().follow(`${server.url}/oidc/${tenant.environmentId}/verify-email?token=${token}`));
      const other = await createTenant(server);
      expectInvalidLinkPage(await new HttpBrowser().follow(`${server.url}/tenants/${other.tenantId}/verify-email?token=${token}`));
      expect(await tenantAccount(member.id)).toMatchObject({ emailVerified: false });
      expect((await confirm(link)).status).toBe(200);
    });
  });
});
