import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  countRows,
  createClient,
  createEnvironmentWithSettings,
  createTenant,
  DEFAULT_PASSWORD,
  DEFAULT_REDIRECT_URI,
  signupUser,
  unique,
  type TestTenant,
} from '../helpers/fixtures.js';
import { findElement, pageText, readForm, type HttpBrowser, type PageResponse } from '../helpers/http-browser.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser, type AuthorizationStart } from '../helpers/oidc.js';
import { startMailTestServer, type ReceivedMail } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

/**
 * The hosted signup step of a sign-in (issue 4, items 1 and 3), at
 * /oidc/:envId/interaction/:uid/signup, linked from the login page: it proves the address every
 * time, and the verification link it mails brings the browser that signed up back into the
 * app's sign-in. Mail goes through a real SMTP server of the test.
 */
describe('hosted signup page', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
  });
  afterAll(async () => {
    await mailing.close();
  });

  interface Flow {
    readonly environmentId: string;
    readonly config: oidc.Configuration;
    readonly start: AuthorizationStart;
    readonly browser: HttpBrowser;
    readonly login: PageResponse;
    readonly uid: string;
  }

  /** An app of the environment starts a sign-in in a new browser, which lands on the login page. */
  async function startAtLogin(tenant: TestTenant, environmentId = tenant.environmentId): Promise<Flow> {
    const client = await createClient(server, tenant, { firstParty: true }, environmentId);
    const config = await discoverClient(server, environmentId, client);
    const start = await authorizationRequest(config);
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    expect(login.status).toBe(200);
    const uid = new RegExp(`^${issuerOf(server, environmentId)}/interaction/([A-Za-z0-9_-]+)$`).exec(login.url)?.[1];
    if (!uid) throw new Error(`not a login page: ${login.url}`);
    return { environmentId, config, start, browser, login, uid };
  }

  const interactionUrl = (flow: Flow) => `${issuerOf(server, flow.environmentId)}/interaction/${flow.uid}`;

  /** Follows the login page's `#signup` link, as a person would. */
  async function openSignup(flow: Flow): Promise<PageResponse> {
    const href = findElement(flow.login, 'a#signup')?.getAttribute('href');
    expect(href).toBe(`/oidc/${flow.environmentId}/interaction/${flow.uid}/signup`);
    const page = await flow.browser.follow(new URL(href as string, flow.login.url).href);
    expect(page.status).toBe(200);
    expect(findElement(page, 'h1')?.textContent).toBe('Create your account');
    return page;
  }

  const person = () => {
    const id = unique();
    return { name: 'Ada Lovelace', email: `ada-${id}@example.com`, username: `ada_${id}`.slice(0, 20), password: DEFAULT_PASSWORD };
  };

  /** Sends what the outbox holds and answers the mails that reached the address, oldest first. */
  async function mailsAt(address: string): Promise<ReceivedMail[]> {
    await server.sump.services.mail.deliverDue();
    return mailsTo(smtp.received, address);
  }
  function verifyLinkIn(mail: ReceivedMail): URL {
    const match = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(decodedMail(mail));
    if (!match) throw new Error(`no verify link in the mail:\n${decodedMail(mail).slice(0, 2000)}`);
    return new URL(match[0]);
  }
  async function verifyLinkTo(address: string): Promise<URL> {
    const mails = (await mailsAt(address)).filter((mail) => decodedMail(mail).includes('/verify-email?token='));
    expect(mails).toHaveLength(1);
    return verifyLinkIn(mails[0] as ReceivedMail);
  }

  /** Opens a verify link and presses its confirm button; answers where that ends. */
  async function confirm(browser: HttpBrowser, link: URL): Promise<PageResponse> {
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    return browser.submit(page, {}, { button: { name: 'confirm', value: 'yes' } });
  }

  /** The same page, status and body: what the answers for a new and a taken email must share. */
  const withoutCsrf = (body: string) => body.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');

  const accountsOf = (environmentId: string) => countRows(server.db, 'environment_accounts', { environment_id: environmentId });
  const outboxOf = (tenant: TestTenant) => countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId });
  async function accountWithEmail(environmentId: string, email: string) {
    return server.db('environment_accounts').where({ environment_id: environmentId, email_normalized: email.toLowerCase() }).first();
  }

  async function expectCode(flow: Flow, callback: PageResponse, accountId: string, email: string): Promise<void> {
    expect(callback.url.startsWith(`${DEFAULT_REDIRECT_URI}?code=`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(callback.url), {
      pkceCodeVerifier: flow.start.verifier,
      expectedState: flow.start.state,
      expectedNonce: flow.start.nonce,
    });
    expect(tokens.claims()?.sub).toBe(accountId);
    const userinfo = await oidc.fetchUserInfo(flow.config, tokens.access_token, accountId);
    expect(userinfo).toMatchObject({ sub: accountId, email, email_verified: true });
  }

  it('signs up from the login page, mails a verification link, and the link brings the same browser back into the sign-in', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);
    const page = await openSignup(flow);

    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const form = readForm(page);
    expect(form.action).toBe(`${interactionUrl(flow)}/signup`);
    expect(Object.keys(form.fields).sort()).toEqual(['csrf', 'email', 'name', 'password', 'username']);
    for (const [field, label, autocomplete] of [
      ['name', 'Name', 'name'],
      ['email', 'Email address', 'email'],
      ['username', 'Username', 'username'],
      ['password', 'Password', 'new-password'],
    ] as const) {
      expect(findElement(page, `label[for=${field}]`)?.textContent).toBe(label);
      expect(findElement(page, `input#${field}`)?.getAttribute('autocomplete')).toBe(autocomplete);
      expect(findElement(page, `input#${field}`)?.getAttribute('aria-invalid')).toBeUndefined();
    }
    // the password's requirement, from the environment's policy (8 by default), is announced with the field
    expect(findElement(page, 'input#password')?.getAttribute('minlength')).toBe('8');
    expect(findElement(page, 'input#password')?.getAttribute('aria-describedby')).toBe('password-hint');
    expect(findElement(page, '#password-hint')?.textContent).toBe('At least 8 characters.');
    expect(findElement(page, 'a#back-to-login')?.getAttribute('href')).toBe(`/oidc/${flow.environmentId}/interaction/${flow.uid}`);

    const who = person();
    const done = await flow.browser.submit(page, who);
    expect(done.status).toBe(200);
    expect(findElement(done, 'h1')?.textContent).toBe('Check your email');
    expect(pageText(done)).toContain('open the link we have sent to the email address you gave');
    const account = await accountWithEmail(flow.environmentId, who.email);
    expect(account).toMatchObject({ name: who.name, username: who.username, email_verified: false });

    // unverified, the account cannot sign in yet, and fails as an unknown one would (or signing
    // in with the password just chosen would tell a new address from a taken one)
    const early = await flow.browser.submit(flow.login, { identifier: who.email, password: who.password });
    expect(early.status).toBe(401);
    expect(pageText(early)).toContain('The email, username or password is not right.');
    const unknown = await flow.browser.submit(flow.login, { identifier: `nobody-${unique()}@example.com`, password: who.password });
    expect(withoutCsrf(early.body)).toBe(withoutCsrf(unknown.body).replace(/value="nobody-[^"]*"/, `value="${who.email}"`));
    const apiLogin = await request(server.url)
      .post(`/api/v1/auth/environments/${flow.environmentId}/login`)
      .send({ email: who.email, password: who.password });
    expect(apiLogin.status).toBe(401);
    expect(apiLogin.body.code).toBe('auth.invalid_credentials');

    // the link's token remembers this interaction
    const tokenRow = await server.db('link_tokens').where({ account_id: account.id, purpose: 'verify_email' }).first();
    expect(tokenRow.interaction_uid).toBe(flow.uid);

    const link = await verifyLinkTo(who.email);
    expect(`${link.origin}${link.pathname}`).toBe(`${issuerOf(server, flow.environmentId)}/verify-email`);
    const callback = await confirm(flow.browser, link);
    await expectCode(flow, callback, account.id, who.email);

    // the link is used up: opening it again says so
    const again = await flow.browser.follow(link.href);
    expect(again.status).toBe(400);
    expect(findElement(again, 'h1')?.textContent).toBe('This link does not work');
  });

  it('offers an unverified account a new link after its right password, and that link brings the browser back into the sign-in', async () => {
    const tenant = await createTenant(server);
    const environmentId = await createEnvironmentWithSettings(server, tenant, { emailVerification: { required: true } });
    const user = await signupUser(server, environmentId);
    const flow = await startAtLogin(tenant, environmentId);

    // a wrong password shows no such offer: the offer would tell the account exists
    const wrong = await flow.browser.submit(flow.login, { identifier: user.email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(findElement(wrong, 'button[name=resend]')).toBeNull();

    const unverified = await flow.browser.submit(flow.login, { identifier: user.email, password: user.password });
    expect(unverified.status).toBe(403);
    expect(pageText(unverified)).toContain('Verify your email address first');
    const resendForm = readForm(unverified, `form[action="/oidc/${environmentId}/interaction/${flow.uid}/resend-verification"]`);
    expect(Object.keys(resendForm.fields).sort()).toEqual(['csrf', 'identifier']);

    // without its CSRF token nothing is recorded
    const forged = await flow.browser.submit(
      unverified,
      { csrf: 'forged' },
      { selector: `form[action="/oidc/${environmentId}/interaction/${flow.uid}/resend-verification"]`, button: { name: 'resend', value: 'verification' } },
    );
    expect(forged.status).toBe(403);
    expect(await countRows(server.db, 'link_requests', { environment_id: environmentId })).toBe(0);

    const sent = await flow.browser.submit(unverified, {}, {
      selector: `form[action="/oidc/${environmentId}/interaction/${flow.uid}/resend-verification"]`,
      button: { name: 'resend', value: 'verification' },
    });
    expect(sent.status).toBe(200);
    expect(findElement(sent, 'h1')?.textContent).toBe('Check your email');

    const verifyMails = (await mailsAt(user.email)).filter((mail) => decodedMail(mail).includes('/verify-email?token='));
    expect(verifyMails).toHaveLength(2); // the one signup sent, and the new one
    const link = verifyLinkIn(verifyMails[1] as ReceivedMail);
    const tokenRow = await server.db('link_tokens').where({ account_id: user.accountId, purpose: 'verify_email', used_at: null }).first();
    expect(tokenRow.interaction_uid).toBe(flow.uid);
    const callback = await confirm(flow.browser, link);
    await expectCode(flow, callback, user.accountId, user.email);
  });

  it('in another browser the link only verifies and says it is done; the first browser’s sign-in is not finished', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);
    const who = person();
    expect((await flow.browser.submit(await openSignup(flow), who)).status).toBe(200);
    const link = await verifyLinkTo(who.email);

    const elsewhere = newBrowser();
    const page = await elsewhere.follow(link.href);
    const posted = await elsewhere.submit(page, {}, { button: { name: 'confirm', value: 'yes' } });
    expect(posted.status).toBe(200);
    expect(posted.url).toMatch(new RegExp(`^${interactionUrl(flow)}/resume\\?r=`));
    expect(findElement(posted, 'h1')?.textContent).toBe('Email verified');
    expect(pageText(posted)).toContain('Your email address is verified. Go back to the app and sign in.');
    const account = await accountWithEmail(flow.environmentId, who.email);
    expect(account.email_verified).toBe(true);

    // the way back is bound to this interaction's cookie: the first browser is still at its login step
    const login = await flow.browser.follow(interactionUrl(flow));
    expect(login.status).toBe(200);
    expect(findElement(login, 'h1')?.textContent).toBe('Sign in');
    // …and a way back signed for it cannot be bent to another account
    const other = await signupUser(server, flow.environmentId);
    const forged = new URL(posted.url);
    forged.searchParams.set('r', (forged.searchParams.get('r') as string).replace(account.id, other.accountId));
    const refused = await flow.browser.follow(forged.href);
    expect(refused.status).toBe(400);
    expect(findElement(refused, 'h1')?.textContent).toBe('This page is out of date');
    const garbage = await flow.browser.follow(`${interactionUrl(flow)}/resume?r=verified.${other.accountId}.9999999999.${'A'.repeat(43)}`);
    expect(garbage.status).toBe(400);
    expect((await flow.browser.follow(interactionUrl(flow))).status).toBe(200);

    // the person signs in there with the password chosen at signup
    const callback = await flow.browser.submit(login, { identifier: who.username, password: who.password });
    await expectCode(flow, callback, account.id, who.email);
  });

  it('answers a taken email exactly as a new one, creates nothing, and mails the address’s owner a notice', async () => {
    const tenant = await createTenant(server);
    const owner = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openSignup(flow);
    const accounts = await accountsOf(flow.environmentId);

    const fresh = await flow.browser.submit(page, person());
    expect(fresh.status).toBe(200);
    expect(await accountsOf(flow.environmentId)).toBe(accounts + 1);

    const attempt = { ...person(), email: owner.email.toUpperCase() };
    const taken = await flow.browser.submit(page, attempt);
    expect(taken.status).toBe(fresh.status);
    expect(withoutCsrf(taken.body)).toBe(withoutCsrf(fresh.body));
    expect(taken.headers.get('content-type')).toBe(fresh.headers.get('content-type'));
    expect(taken.headers.get('content-length')).toBe(fresh.headers.get('content-length'));
    expect(await accountsOf(flow.environmentId)).toBe(accounts + 1);
    expect(await countRows(server.db, 'environment_accounts', { username_normalized: attempt.username.toLowerCase() })).toBe(0);

    const mails = await mailsAt(owner.email);
    const notices = mails.filter((mail) => decodedMail(mail).includes('Someone tried to create'));
    expect(notices).toHaveLength(1);
    const notice = decodedMail(notices[0] as ReceivedMail);
    expect(notice).toContain('Subject: Someone tried to sign up for');
    expect(notice).toContain(`Hello ${owner.name}`);
    expect(notice).toContain('Forgot your password?');
    expect(notice).toContain('text/html');
    // a notice only: no link, nothing that could change the account
    expect(notice).not.toMatch(/token=/);
    const owned = await accountWithEmail(flow.environmentId, owner.email);
    expect(owned).toMatchObject({ id: owner.accountId, username_normalized: owner.username.toLowerCase() });
  });

  it('shows a taken username as taken, with an accessible field error, and keeps what was typed but the password', async () => {
    const tenant = await createTenant(server);
    const owner = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openSignup(flow);
    const accounts = await accountsOf(flow.environmentId);
    const queued = await outboxOf(tenant);

    const who = { ...person(), username: owner.username.toUpperCase() };
    const again = await flow.browser.submit(page, who);
    expect(again.status).toBe(409);
    expect(findElement(again, '#username-error')?.textContent).toBe('That username is taken. Choose another one.');
    const input = findElement(again, 'input#username');
    expect(input?.getAttribute('aria-invalid')).toBe('true');
    expect(input?.getAttribute('aria-describedby')).toBe('username-error username-hint');
    expect(input?.getAttribute('value')).toBe(who.username);
    expect(findElement(again, 'input#name')?.getAttribute('value')).toBe(who.name);
    expect(findElement(again, 'input#email')?.getAttribute('value')).toBe(who.email);
    expect(findElement(again, 'input#email')?.getAttribute('aria-invalid')).toBeUndefined();
    expect(findElement(again, 'input#password')?.getAttribute('value')).toBeUndefined();
    expect(again.body).not.toContain(who.password);
    expect(await accountsOf(flow.environmentId)).toBe(accounts);
    expect(await outboxOf(tenant)).toBe(queued);

    // the form shown again works with another username
    const done = await flow.browser.submit(again, { password: who.password, username: `x${owner.username}`.slice(0, 20) });
    expect(done.status).toBe(200);
    expect(findElement(done, 'h1')?.textContent).toBe('Check your email');
  });

  it('checks every field by the API’s rules and the environment’s password policy, rendering what was typed inert', async () => {
    const tenant = await createTenant(server);
    const environmentId = await createEnvironmentWithSettings(server, tenant, { passwordPolicy: { minLength: 12 } });
    const flow = await startAtLogin(tenant, environmentId);
    const page = await openSignup(flow);
    expect(findElement(page, '#password-hint')?.textContent).toBe('At least 12 characters.');
    expect(findElement(page, 'input#password')?.getAttribute('minlength')).toBe('12');
    const accounts = await accountsOf(environmentId);

    const empty = await flow.browser.submit(page, { name: '', email: '', username: '', password: '' });
    expect(empty.status).toBe(400);
    expect(findElement(empty, '#name-error')?.textContent).toBe('The name must be 3 to 100 characters.');
    expect(findElement(empty, '#email-error')?.textContent).toBe('The email address must be an email address.');
    expect(findElement(empty, '#username-error')?.textContent).toBe('The username must be 3 to 20 letters, digits, ".", "_" or "-".');
    // the environment's minimum, not the default 8 (regression: the message said 8 beside a hint of 12)
    expect(findElement(empty, '#password-error')?.textContent).toBe('The password must be at least 12 characters.');
    for (const field of ['name', 'email']) {
      expect(findElement(empty, `input#${field}`)?.getAttribute('aria-invalid')).toBe('true');
      expect(findElement(empty, `input#${field}`)?.getAttribute('aria-describedby')).toBe(`${field}-error`);
    }
    expect(findElement(empty, 'input#password')?.getAttribute('aria-describedby')).toBe('password-error password-hint');

    const short = await flow.browser.submit(page, { ...person(), password: 'ten chars!' });
    expect(short.status).toBe(400);
    expect(findElement(short, '#password-error')?.textContent).toBe('The password must be at least 12 characters.');

    const scripts = {
      name: '<script>alert(1)</script>',
      email: '"><img src=x onerror=alert(1)>',
      username: '<svg onload=alert(1)>',
      password: DEFAULT_PASSWORD,
    };
    const inert = await flow.browser.submit(page, scripts);
    expect(inert.status).toBe(400);
    expect(findElement(inert, 'script')).toBeNull();
    expect(findElement(inert, 'img')).toBeNull();
    expect(findElement(inert, 'svg')).toBeNull();
    expect(inert.body).not.toContain(scripts.name);
    expect(inert.body).not.toContain(scripts.email);
    expect(findElement(inert, 'input#name')?.getAttribute('value')).toBe(scripts.name);
    expect(findElement(inert, 'input#email')?.getAttribute('value')).toBe(scripts.email);
    expect(findElement(inert, 'input#username')?.getAttribute('value')).toBe(scripts.username);
    // a name is free text: it is stored and shown as text, never as markup
    const nul = await flow.browser.submit(page, { ...person(), name: 'Ada\u0000' });
    expect(nul.status).toBe(400);
    expect(findElement(nul, '#name-error')?.textContent).toBe('The name holds characters that cannot be used.');
    expect(await accountsOf(environmentId)).toBe(accounts);

    const who = { ...person(), name: '<b>Ada</b> <script>alert(1)</script>', password: 'twelve chars!' };
    expect((await flow.browser.submit(page, who)).status).toBe(200);
    const mail = decodedMail((await mailsAt(who.email))[0] as ReceivedMail);
    expect(mail).toContain('Hello &lt;b&gt;Ada&lt;/b&gt; &lt;script&gt;');
    expect(mail).not.toContain('<script>alert(1)</script></p>');
  });

  it('refuses a form without its CSRF token or with a forged one (403), and creates or mails nothing', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);
    const page = await openSignup(flow);
    const accounts = await accountsOf(flow.environmentId);
    const queued = await outboxOf(tenant);
    const { action } = readForm(page);

    const missing = await flow.browser.follow(action, { method: 'POST', form: person() });
    expect(missing.status).toBe(403);
    expect(findElement(missing, 'h1')?.textContent).toBe('Please try again');
    const forged = await flow.browser.submit(page, { ...person(), csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(pageText(forged)).toContain('The form expired');
    expect(await accountsOf(flow.environmentId)).toBe(accounts);
    expect(await outboxOf(tenant)).toBe(queued);

    // another uid (no interaction cookie for it) is the out-of-date page, for GET and POST
    const stale = await flow.browser.follow(`${interactionUrl(flow)}x/signup`);
    expect(stale.status).toBe(400);
    expect(findElement(stale, 'h1')?.textContent).toBe('This page is out of date');
    const put = await flow.browser.follow(action, { method: 'PUT' });
    expect(put.status).toBe(404);
  });

  it('has no page and no link where signup is off (a 404 page for GET and POST)', async () => {
    const tenant = await createTenant(server);
    const environmentId = await createEnvironmentWithSettings(server, tenant, { signup: { enabled: false } });
    const flow = await startAtLogin(tenant, environmentId);
    expect(findElement(flow.login, 'a#signup')).toBeNull();
    expect(findElement(flow.login, 'a#forgot-password')).not.toBeNull();
    const url = `${interactionUrl(flow)}/signup`;
    const shown = await flow.browser.follow(url);
    expect(shown.status).toBe(404);
    expect(findElement(shown, 'h1')?.textContent).toBe('Not found');
    const csrf = readForm(flow.login).fields.csrf as string;
    const posted = await flow.browser.follow(url, { method: 'POST', form: { ...person(), csrf } });
    expect(posted.status).toBe(404);
    expect(findElement(posted, 'h1')?.textContent).toBe('Not found');
    expect(await accountsOf(environmentId)).toBe(0);
  });

  it('limits signups per address to be proven, the same for a new and a taken email (429)', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);
    const page = await openSignup(flow);
    const email = `limited-${unique()}@example.com`;
    // 5 an hour per address (PAGE_SIGNUP_LIMITS): the first makes the account, the next four find it taken
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await flow.browser.submit(page, { ...person(), email });
      expect(answer.status).toBe(200);
    }
    const limited = await flow.browser.submit(page, { ...person(), email });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(findElement(limited, '#form-error')?.textContent).toBe('Too many attempts. Wait a few minutes and try again.');
    expect(findElement(limited, 'input#email')?.getAttribute('aria-describedby')).toBe('form-error');
    const mails = await mailsAt(email);
    expect(mails.filter((mail) => decodedMail(mail).includes('/verify-email?token='))).toHaveLength(1);
    expect(mails.filter((mail) => decodedMail(mail).includes('Someone tried to create'))).toHaveLength(4);
  });

  it('lets the owner of an address someone signed up with first in: a reset link proves the address', async () => {
    const tenant = await createTenant(server);
    const squatter = await startAtLogin(tenant);
    const who = person();
    expect((await squatter.browser.submit(await openSignup(squatter), who)).status).toBe(200);
    // the owner of the address ignores the verification mail and asks for a reset instead
    const forgot = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/forgot-password`)
      .send({ email: who.email });
    expect(forgot.status).toBe(200);
    await server.sump.services.mail.deliverDue();
    const link = resetLinkIn(mailsTo(smtp.received, who.email).filter((mail) => decodedMail(mail).includes('/reset-password?token='))[0] as ReceivedMail);
    const browser = newBrowser();
    const set = await browser.submit(await browser.follow(link.href), { password: 'the owner’s own passphrase' });
    expect(set.status).toBe(200);
    expect(findElement(set, 'h1')?.textContent).toBe('Password set');
    expect((await accountWithEmail(tenant.environmentId, who.email)).email_verified).toBe(true);
    const flow = await startAtLogin(tenant);
    const refused = await flow.browser.submit(flow.login, { identifier: who.email, password: who.password });
    expect(refused.status).toBe(401);
    const callback = await flow.browser.submit(refused, { identifier: who.email, password: 'the owner’s own passphrase' });
    const account = await accountWithEmail(tenant.environmentId, who.email);
    await expectCode(flow, callback, account.id, who.email);
  });

  it('sends the browser back to the login step of its sign-in after a reset asked from that sign-in', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const forgotHref = findElement(flow.login, 'a#forgot-password')?.getAttribute('href') as string;
    const forgot = await flow.browser.follow(new URL(forgotHref, flow.login.url).href);
    expect((await flow.browser.submit(forgot, { identifier: user.username })).status).toBe(200);
    await server.sump.services.mail.deliverDue();
    const link = resetLinkIn(mailsTo(smtp.received, user.email).filter((mail) => decodedMail(mail).includes('/reset-password?token='))[0] as ReceivedMail);

    // in another browser: set, and "go back to the app"; the sign-in of the first browser is left alone
    const newPassword = 'another new passphrase';
    const elsewhere = newBrowser();
    const elsewherePage = await elsewhere.follow(link.href);
    expect(elsewherePage.status).toBe(200);
    const set = await elsewhere.submit(elsewherePage, { password: newPassword });
    expect(set.status).toBe(200);
    expect(findElement(set, 'h1')?.textContent).toBe('Password set');
    expect(pageText(set)).toContain('Your password is set. Go back to the app and sign in with it.');
    expect(findElement(await flow.browser.follow(interactionUrl(flow)), 'h1')?.textContent).toBe('Sign in');

    // a new link, asked again from the same sign-in, opened in the same browser: back to its login step
    expect((await flow.browser.submit(forgot, { identifier: user.username })).status).toBe(200);
    await server.sump.services.mail.deliverDue();
    const links = mailsTo(smtp.received, user.email).filter((mail) => decodedMail(mail).includes('/reset-password?token='));
    const second = resetLinkIn(links.at(-1) as ReceivedMail);
    const page = await flow.browser.follow(second.href);
    const login = await flow.browser.submit(page, { password: DEFAULT_PASSWORD.toUpperCase() });
    expect(login.status).toBe(200);
    expect(login.url).toBe(interactionUrl(flow));
    expect(findElement(login, 'h1')?.textContent).toBe('Sign in');
    const callback = await flow.browser.submit(login, { identifier: user.email, password: DEFAULT_PASSWORD.toUpperCase() });
    expect(callback.url.startsWith(`${DEFAULT_REDIRECT_URI}?code=`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(callback.url), {
      pkceCodeVerifier: flow.start.verifier,
      expectedState: flow.start.state,
      expectedNonce: flow.start.nonce,
    });
    expect(tokens.claims()?.sub).toBe(user.accountId);
  });

  it('shows the done page for links made through the API (no interaction) and ignores a uid of another environment', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);

    // JSON signup mails a verification link that remembers no interaction
    const apiUser = await signupUser(server, tenant.environmentId);
    const apiRow = await server.db('link_tokens').where({ account_id: apiUser.accountId, purpose: 'verify_email' }).first();
    expect(apiRow.interaction_uid).toBeNull();
    const verified = await confirm(flow.browser, await verifyLinkTo(apiUser.email));
    expect(verified.status).toBe(200);
    expect(verified.url).toBe(`${issuerOf(server, tenant.environmentId)}/verify-email`);
    expect(findElement(verified, 'h1')?.textContent).toBe('Email verified');

    // the API's forgot-password: its reset page says it is done
    const forgot = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/forgot-password`)
      .send({ email: apiUser.email });
    expect(forgot.status).toBe(200);
    await server.sump.services.mail.deliverDue();
    const resetLink = resetLinkIn(mailsTo(smtp.received, apiUser.email).filter((mail) => decodedMail(mail).includes('/reset-password?token='))[0] as ReceivedMail);
    const resetPage = await flow.browser.follow(resetLink.href);
    const reset = await flow.browser.submit(resetPage, { password: 'a brand new passphrase' });
    expect(reset.status).toBe(200);
    expect(findElement(reset, 'h1')?.textContent).toBe('Password set');

    // a token of environment B that names this browser's interaction of environment A: B's
    // pages never reach A's interaction (its cookie is A's), so the page only says it is done
    const otherEnvironmentId = await createEnvironmentWithSettings(server, tenant, {});
    const stranger = await signupUser(server, otherEnvironmentId);
    const owner = { tenantId: tenant.tenantId, environmentId: otherEnvironmentId, accountType: 'environment_account' as const, accountId: stranger.accountId };
    const { token } = await server.sump.services.linkTokens.issue(server.db, owner, 'verify_email', { interactionUid: flow.uid });
    const crossed = await confirm(flow.browser, new URL(`${issuerOf(server, otherEnvironmentId)}/verify-email?token=${token}`));
    expect(crossed.status).toBe(200);
    expect(findElement(crossed, 'h1')?.textContent).toBe('Email verified');
    const still = await flow.browser.follow(interactionUrl(flow));
    expect(still.status).toBe(200);
    expect(findElement(still, 'h1')?.textContent).toBe('Sign in');
  });
});
