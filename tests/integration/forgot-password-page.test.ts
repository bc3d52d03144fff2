import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  countRows,
  createClient,
  createEnvironment,
  createTenant,
  DEFAULT_REDIRECT_URI,
  signupUser,
  type TestTenant,
  type TestUser,
} from '../helpers/fixtures.js';
import { findElement, pageText, readForm, type HttpBrowser, type PageResponse } from '../helpers/http-browser.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser, type AuthorizationStart } from '../helpers/oidc.js';
import { startMailTestServer } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'a brand new passphrase';

/**
 * The hosted forgot-password step of a sign-in (issue 4, item 1), at
 * /oidc/:envId/interaction/:uid/forgot-password, linked from the login page; its mail arrives at
 * a real SMTP server of the test.
 */
describe('hosted forgot-password page', () => {
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
    readonly tenant: TestTenant;
    readonly config: oidc.Configuration;
    readonly start: AuthorizationStart;
    readonly browser: HttpBrowser;
    readonly login: PageResponse;
    readonly uid: string;
  }

  /** An app starts a sign-in in a browser, which lands on the hosted login page. */
  async function startAtLogin(tenant: TestTenant): Promise<Flow> {
    const client = await createClient(server, tenant, { firstParty: true });
    const config = await discoverClient(server, tenant.environmentId, client);
    const start = await authorizationRequest(config);
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    expect(login.status).toBe(200);
    const uid = new RegExp(`^${issuerOf(server, tenant.environmentId)}/interaction/([A-Za-z0-9_-]+)$`).exec(login.url)?.[1];
    if (!uid) throw new Error(`not a login page: ${login.url}`);
    return { tenant, config, start, browser, login, uid };
  }

  /** Follows the login page's `#forgot-password` link, as a person would. */
  async function openForgotPassword(flow: Flow): Promise<PageResponse> {
    const href = findElement(flow.login, 'a#forgot-password')?.getAttribute('href');
    expect(href).toBe(`/oidc/${flow.tenant.environmentId}/interaction/${flow.uid}/forgot-password`);
    const page = await flow.browser.follow(new URL(href as string, flow.login.url).href);
    expect(page.status).toBe(200);
    return page;
  }

  /** Sends what the outbox holds and answers the reset links mailed to the address so far. */
  async function resetLinksTo(address: string): Promise<URL[]> {
    await server.sump.services.mail.deliverDue();
    return mailsTo(smtp.received, address)
      .filter((mail) => decodedMail(mail).includes('/reset-password?token='))
      .map(resetLinkIn);
  }

  /** Opens the reset link and sets a new password on the page it shows. */
  async function resetWith(browser: HttpBrowser, link: URL, password: string): Promise<void> {
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    const done = await browser.submit(page, { password });
    expect(done.status).toBe(200);
    expect(pageText(done)).toContain('Your password is set');
  }

  /** Signs in on a login page; answers the callback URL (or the page when it did not redirect). */
  async function signIn(browser: HttpBrowser, login: PageResponse, identifier: string, password: string) {
    return browser.submit(login, { identifier, password });
  }

  async function expectCodeFor(flow: Flow, callback: PageResponse, user: TestUser): Promise<void> {
    expect(callback.url.startsWith(`${DEFAULT_REDIRECT_URI}?code=`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(callback.url), {
      pkceCodeVerifier: flow.start.verifier,
      expectedState: flow.start.state,
      expectedNonce: flow.start.nonce,
    });
    expect(tokens.claims()?.sub).toBe(user.accountId);
  }

  const outboxOf = (tenant: TestTenant) => countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId });
  const linkTokensOf = (tenant: TestTenant) => countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId });
  /** A page's body with its CSRF tokens blanked: the one part that may differ between answers. */
  const withoutCsrf = (body: string) => body.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');

  it('is linked from the login page, mails a reset link built from PUBLIC_URL, and the new password completes the same sign-in', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const pageUrl = `${issuerOf(server, tenant.environmentId)}/interaction/${flow.uid}/forgot-password`;

    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const form = readForm(page);
    // no state in the URL but the uid; the fields DESIGN.md names, plus the CSRF token
    expect(form.action).toBe(pageUrl);
    expect(Object.keys(form.fields).sort()).toEqual(['csrf', 'identifier']);
    expect(findElement(page, 'input#identifier')?.getAttribute('autocomplete')).toBe('username');
    expect(findElement(page, 'label[for=identifier]')?.textContent).toBe('Email or username');
    expect(findElement(page, 'form button[type=submit]')).not.toBeNull();
    expect(findElement(page, 'a#back-to-login')?.getAttribute('href')).toBe(`/oidc/${tenant.environmentId}/interaction/${flow.uid}`);

    // a forged forwarded host changes nothing in the link
    const done = await flow.browser.follow(form.action, {
      method: 'POST',
      form: { ...form.fields, identifier: user.email.toUpperCase() },
      headers: { 'x-forwarded-host': 'evil.example' },
    });
    expect(done.status).toBe(200);
    expect(done.url).toBe(pageUrl);
    expect(findElement(done, 'h1')?.textContent).toBe('Check your email');
    expect(pageText(done)).toContain('we have sent it a link');

    const links = await resetLinksTo(user.email);
    expect(links).toHaveLength(1);
    const [link] = links as [URL];
    expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/reset-password`);
    expect(mailsTo(smtp.received, user.email).map(decodedMail).join('\n')).not.toContain('evil.example');
    // the link remembers this sign-in: setting the password sends this browser back to its login step
    const resetPage = await flow.browser.follow(link.href);
    expect(resetPage.status).toBe(200);
    const login = await flow.browser.submit(resetPage, { password: NEW_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.url).toBe(`${issuerOf(server, tenant.environmentId)}/interaction/${flow.uid}`);
    expect(findElement(login, 'h1')?.textContent).toBe('Sign in');

    // there the old password is refused, the new one completes the same sign-in
    const refused = await signIn(flow.browser, login, user.email, user.password);
    expect(refused.status).toBe(401);
    expect(pageText(refused)).toContain('The email, username or password is not right.');
    const callback = await signIn(flow.browser, refused, user.email, NEW_PASSWORD);
    await expectCodeFor(flow, callback, user);

    // the interaction is over: its forgot-password page is out of date now
    const over = await flow.browser.follow(pageUrl);
    expect(over.status).toBe(400);
    expect(findElement(over, 'h1')?.textContent).toBe('This page is out of date');
  });

  it('finds the account by username too; a fresh sign-in then works with the new password only', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const done = await flow.browser.submit(page, { identifier: ` ${user.username.toUpperCase()} ` });
    expect(done.status).toBe(200);
    expect(findElement(done, 'h1')?.textContent).toBe('Check your email');

    const links = await resetLinksTo(user.email);
    expect(links).toHaveLength(1);
    await resetWith(newBrowser(), links[0] as URL, NEW_PASSWORD);

    const fresh = await startAtLogin(tenant);
    const refused = await signIn(fresh.browser, fresh.login, user.username, user.password);
    expect(refused.status).toBe(401);
    const callback = await signIn(fresh.browser, refused, user.username, NEW_PASSWORD);
    await expectCodeFor(fresh, callback, user);
    const oldApiLogin = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/login`)
      .send({ email: user.email, password: user.password });
    expect(oldApiLogin.status).toBe(401);
  });

  it('answers an unknown identifier byte for byte as a known one, and mails nobody', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    // an account of another environment of the same tenant is unknown here
    const other = await createEnvironment(server, tenant);
    const elsewhere = await signupUser(server, other.id);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const queuedBefore = await outboxOf(tenant);

    const known = await flow.browser.submit(page, { identifier: user.email });
    expect(known.status).toBe(200);
    await server.sump.services.linkRequests.processLinkRequests();
    expect(await outboxOf(tenant)).toBe(queuedBefore + 1);
    const queuedAfterKnown = await outboxOf(tenant);

    for (const identifier of ['nobody-at-all@example.com', 'nobody_here', elsewhere.email, elsewhere.username]) {
      const unknown = await flow.browser.submit(page, { identifier });
      expect(unknown.status).toBe(known.status);
      expect(withoutCsrf(unknown.body)).toBe(withoutCsrf(known.body));
      expect(unknown.headers.get('content-type')).toBe(known.headers.get('content-type'));
      expect(unknown.headers.get('content-length')).toBe(known.headers.get('content-length'));
    }
    await server.sump.services.linkRequests.processLinkRequests();
    expect(await outboxOf(tenant)).toBe(queuedAfterKnown);
    expect(await resetLinksTo(user.email)).toHaveLength(1);
    expect(await resetLinksTo(elsewhere.email)).toHaveLength(0);
    expect(await resetLinksTo('nobody-at-all@example.com')).toHaveLength(0);
  });

  it('refuses a form without its CSRF token or with a forged one (403), and queues nothing', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const queued = await outboxOf(tenant);
    const tokens = await linkTokensOf(tenant);
    const { action } = readForm(page);

    const missing = await flow.browser.follow(action, { method: 'POST', form: { identifier: user.email } });
    expect(missing.status).toBe(403);
    expect(pageText(missing)).toContain('The form expired');
    const forged = await flow.browser.submit(page, { identifier: user.email, csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    expect(findElement(forged, 'h1')?.textContent).toBe('Please try again');

    expect(await outboxOf(tenant)).toBe(queued);
    expect(await linkTokensOf(tenant)).toBe(tokens);
    expect(await resetLinksTo(user.email)).toHaveLength(0);
  });

  it('answers an unknown uid with the out-of-date page the login step gives', async () => {
    const tenant = await createTenant(server);
    const issuer = issuerOf(server, tenant.environmentId);
    const browser = newBrowser();
    const loginAnswer = await browser.follow(`${issuer}/interaction/no-such-interaction`);
    expect(loginAnswer.status).toBe(400);
    // (the provider's SessionNotFound, once shadowed by the generic "could not be read" page)
    expect(findElement(loginAnswer, 'h1')?.textContent).toBe('This page is out of date');
    expect(pageText(loginAnswer)).toContain('Go back to the app and start again.');
    const shown = await browser.follow(`${issuer}/interaction/no-such-interaction/forgot-password`);
    expect(shown.status).toBe(400);
    expect(findElement(shown, 'h1')?.textContent).toBe('This page is out of date');
    expect(withoutCsrf(shown.body)).toBe(withoutCsrf(loginAnswer.body));
    const posted = await browser.follow(`${issuer}/interaction/no-such-interaction/forgot-password`, {
      method: 'POST',
      form: { identifier: 'someone@example.com', csrf: 'x' },
    });
    expect(posted.status).toBe(400);
    expect(posted.body).toBe(shown.body);

    // a browser inside one sign-in, at another uid: out of date too, nothing queued
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const queued = await outboxOf(tenant);
    const other = await flow.browser.follow(`${issuer}/interaction/${flow.uid}x/forgot-password`);
    expect(other.status).toBe(400);
    expect(findElement(other, 'h1')?.textContent).toBe('This page is out of date');
    const form = readForm(await openForgotPassword(flow));
    const postedElsewhere = await flow.browser.follow(`${issuer}/interaction/${flow.uid}x/forgot-password`, {
      method: 'POST',
      form: { ...form.fields, identifier: user.email },
    });
    expect(postedElsewhere.status).toBe(400);
    expect(await outboxOf(tenant)).toBe(queued);
    // and only GET and POST are served there
    const put = await flow.browser.follow(form.action, { method: 'PUT' });
    expect(put.status).toBe(404);
  });

  it('shows the form again with an accessible field error, the identifier rendered inert', async () => {
    const tenant = await createTenant(server);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const queued = await outboxOf(tenant);

    for (const identifier of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'a@b"><script>alert(1)</script>']) {
      const again = await flow.browser.submit(page, { identifier });
      expect(again.status).toBe(400);
      expect(findElement(again, 'script')).toBeNull();
      expect(findElement(again, 'img')).toBeNull();
      expect(again.body).not.toContain(identifier);
      const input = findElement(again, 'input#identifier');
      expect(input?.getAttribute('value')).toBe(identifier);
      expect(input?.getAttribute('aria-invalid')).toBe('true');
      expect(input?.getAttribute('aria-describedby')).toBe('identifier-error');
      expect(findElement(again, '#identifier-error')?.textContent).toBe('Enter the email address or the username of your account.');
      expect(findElement(again, 'h1')?.textContent).toBe('Reset your password');
    }

    for (const identifier of ['', '   ']) {
      const empty = await flow.browser.submit(page, { identifier });
      expect(empty.status).toBe(400);
      expect(findElement(empty, '#identifier-error')?.textContent).toBe('Enter your email address or username.');
      expect(findElement(empty, 'input#identifier')?.getAttribute('aria-invalid')).toBe('true');
    }
    // the form shown again still works
    const retried = await flow.browser.submit(page, { identifier: 'nobody-at-all@example.com' });
    expect(retried.status).toBe(200);
    expect(await outboxOf(tenant)).toBe(queued);
  });

  it('answers a NUL or a huge identifier with a 4xx page, never a 500, and queues nothing', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const queued = await outboxOf(tenant);

    const nul = await flow.browser.submit(page, { identifier: `${user.email}\u0000` });
    expect(nul.status).toBe(400);
    expect(findElement(nul, '#identifier-error')?.textContent).toBe('That holds characters that cannot be used.');
    expect(findElement(nul, 'input#identifier')?.getAttribute('value')).toBe('');

    const long = await flow.browser.submit(page, { identifier: `${'a'.repeat(400)}@example.com` });
    expect(long.status).toBe(400);
    expect(findElement(long, '#identifier-error')?.textContent).toBe('That is too long: at most 320 characters.');
    expect(long.body).not.toContain('a'.repeat(400));

    const huge = await flow.browser.submit(page, { identifier: 'a'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(findElement(huge, 'h1')?.textContent).toBe('Something went wrong');
    expect(pageText(huge)).toContain('What was sent is too large.');

    const nulCsrf = await flow.browser.submit(page, { identifier: user.email, csrf: '\u0000' });
    expect(nulCsrf.status).toBe(403);

    expect(await outboxOf(tenant)).toBe(queued);
    expect(await resetLinksTo(user.email)).toHaveLength(0);
  });

  it('shows the login page’s 429 past the forgot-password limit, for known and unknown identifiers alike', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    const flow = await startAtLogin(tenant);
    const page = await openForgotPassword(flow);
    const limitedAnswers: PageResponse[] = [];
    for (const identifier of [user.email, 'nobody-at-all@example.com']) {
      // 5 an hour per identifier (FORGOT_PASSWORD_LIMITS)
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const answer = await flow.browser.submit(page, { identifier });
        expect(answer.status).toBe(200);
      }
      const limited = await flow.browser.submit(page, { identifier });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(findElement(limited, '#form-error')?.textContent).toBe('Too many attempts. Wait a few minutes and try again.');
      expect(findElement(limited, 'input#identifier')?.getAttribute('value')).toBe(identifier);
      expect(findElement(limited, 'input#identifier')?.getAttribute('aria-describedby')).toBe('form-error');
      limitedAnswers.push(limited);
    }
    const [known, unknown] = limitedAnswers.map((answer, index) =>
      withoutCsrf(answer.body).replace([user.email, 'nobody-at-all@example.com'][index] as string, '<identifier>'),
    );
    expect(unknown).toBe(known);
    // five links for the account (each voiding the one before), none past the limit
    expect(await resetLinksTo(user.email)).toHaveLength(5);
  });
});
