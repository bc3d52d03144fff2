import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, Page, Response } from 'playwright-core';
import { launchBrowser, newPage, saveScreenshot, watchPage, type PageReport } from '../helpers/browser.js';
import { createClient, createTenant, DEFAULT_PASSWORD, signupUser, unique, type TestTenant } from '../helpers/fixtures.js';
import { decodedMail, mailsTo, resetLinkIn, verifyLinkIn } from '../helpers/mail-links.js';
import { authorizationRequest, discoverClient, issuerOf, type AuthorizationStart } from '../helpers/oidc.js';
import { startMailTestServer } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

/**
 * Issue 4's acceptance in a real browser: headless Chromium clicks through sump's hosted pages
 * inside an app's sign-in, the mails arrive at a real SMTP server of the test, and the app (a
 * small HTTP server of the test, its redirect URI) receives the code. Every sump page met is
 * screenshotted into test-artifacts/screenshots/, and must report no console error, exception
 * or CSP violation, and weigh under 50 KB with its stylesheets.
 */

const NEW_PASSWORD = 'a brand new passphrase';
const PAGE_BUDGET = 50 * 1024;

/** The app's side: its redirect URI, where Chromium lands with the code. */
interface App {
  readonly callbackUrl: string;
  /** Every request the callback received, oldest first. */
  readonly callbacks: URL[];
  close(): Promise<void>;
}

async function startApp(): Promise<App> {
  const callbacks: URL[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    callbacks.push(url);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>App</title><h1>Back in the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    callbackUrl: `http://127.0.0.1:${port}/callback`,
    callbacks,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('hosted sign-in flows in headless Chromium', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let browser: Browser;
  let app: App;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
    browser = await launchBrowser();
    app = await startApp();
  }, 30_000);
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), app?.close()]);
    await mailing?.close();
  });

  /** One person's browser: a page in its own context, watched from its first navigation. */
  interface Tab {
    readonly page: Page;
    readonly scenario: string;
    report(): Promise<PageReport>;
  }

  async function openTab(scenario: string): Promise<Tab> {
    const page = await newPage(browser);
    const watch = await watchPage(page);
    return { page, scenario, report: () => watch.report() };
  }

  /** An app of the tenant's environment, redirecting to the test's app server. */
  async function appClient(tenant: TestTenant, body: Record<string, unknown> = {}) {
    const client = await createClient(server, tenant, { redirectUris: [app.callbackUrl], ...body });
    return discoverClient(server, tenant.environmentId, client);
  }

  const start = (config: oidc.Configuration, params: Record<string, string> = {}) =>
    authorizationRequest(config, { redirect_uri: app.callbackUrl, ...params });

  /**
   * The sump page now shown, once loaded: its heading, no console error, exception or CSP
   * violation so far in this tab, under 50 KB with its stylesheets; screenshotted as
   * `<scenario>-<step>.png`.
   */
  async function sumpPage(tab: Tab, step: string, heading: string): Promise<void> {
    await tab.page.locator('h1', { hasText: heading }).waitFor();
    const report = await tab.report();
    expect(new URL(tab.page.url()).origin).toBe(server.url);
    await expect(tab.page.locator('h1').textContent()).resolves.toBe(heading);
    expect(report.problems).toEqual([]);
    expect(report.htmlBytes).toBeGreaterThan(0);
    expect(report.stylesheets.length).toBeGreaterThan(0);
    for (const sheet of report.stylesheets) expect(sheet.bytes).toBeGreaterThan(0);
    expect(report.totalBytes).toBeLessThan(PAGE_BUDGET);
    await saveScreenshot(tab.page, `${tab.scenario}-${step}`);
  }

  /** Clicks a form's button and answers the answer to the POST it sends. */
  async function submit(page: Page, button = 'form button[type=submit]'): Promise<Response> {
    const posted = page.waitForResponse((response) => response.request().method() === 'POST' && response.request().isNavigationRequest());
    await page.click(button);
    return posted;
  }

  /** Fills the login page and signs in. */
  async function signIn(page: Page, identifier: string, password: string): Promise<Response> {
    await page.fill('input[name=identifier]', identifier);
    await page.fill('input[name=password]', password);
    return submit(page);
  }

  /** Waits for Chromium to land on the app's redirect URI; answers the URL the app received. */
  async function landAtApp(tab: Tab, flow: AuthorizationStart): Promise<URL> {
    await tab.page.waitForURL((url) => url.href.startsWith(`${app.callbackUrl}?`));
    const received = app.callbacks.find((url) => url.searchParams.get('state') === flow.state);
    if (!received) throw new Error(`the app received no callback with this state: ${app.callbacks.map(String).join(', ')}`);
    expect(received.searchParams.get('code')).toEqual(expect.any(String));
    expect(received.searchParams.get('error')).toBeNull();
    return received;
  }

  /** Exchanges the code the app received, with the PKCE verifier, state and nonce of its request. */
  async function exchange(config: oidc.Configuration, flow: AuthorizationStart, received: URL) {
    return oidc.authorizationCodeGrant(config, received, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
  }

  /** Sends what the outbox holds; answers the links of this kind mailed to the address so far. */
  async function linksTo(address: string, kind: 'verify' | 'reset'): Promise<URL[]> {
    // Twice: a forgot-password request is only recorded, and the first run's producers turn it
    // into a link and its mail, which may not be due yet in that same run.
    await server.sump.services.mail.deliverDue();
    await server.sump.services.mail.deliverDue();
    const path = kind === 'verify' ? '/verify-email?token=' : '/reset-password?token=';
    return mailsTo(smtp.received, address)
      .filter((mail) => decodedMail(mail).includes(path))
      .map(kind === 'verify' ? verifyLinkIn : resetLinkIn);
  }

  const interactionPattern = (environmentId: string) =>
    new RegExp(`^${issuerOf(server, environmentId).replace(/[.]/g, '\\.')}/interaction/([A-Za-z0-9_-]+)$`);

  /** Opens the app's authorization request; Chromium lands on the login page. Answers the interaction's uid. */
  async function openLogin(tab: Tab, environmentId: string, flow: AuthorizationStart, step: string): Promise<string> {
    await tab.page.goto(flow.url.href);
    await tab.page.waitForURL(interactionPattern(environmentId));
    await sumpPage(tab, step, 'Sign in');
    return interactionPattern(environmentId).exec(tab.page.url())?.[1] as string;
  }

  it('signup: "create account" from the login page, the mailed verification link, and back into the app’s sign-in with a code', async () => {
    const tenant = await createTenant(server);
    // a first-party app: no consent step
    const config = await appClient(tenant, { firstParty: true });
    const flow = await start(config);
    const issuer = issuerOf(server, tenant.environmentId);
    const tab = await openTab('signup');
    try {
      const { page } = tab;
      const uid = await openLogin(tab, tenant.environmentId, flow, '01-login');

      await Promise.all([page.waitForURL(`${issuer}/interaction/${uid}/signup`), page.click('a#signup')]);
      await sumpPage(tab, '02-signup', 'Create your account');
      const id = unique();
      const who = { name: 'Ada Lovelace', email: `ada-${id}@example.com`, username: `ada_${id}`, password: DEFAULT_PASSWORD };
      await page.fill('input[name=name]', who.name);
      await page.fill('input[name=email]', who.email);
      await page.fill('input[name=username]', who.username);
      await page.fill('input[name=password]', who.password);
      const signedUp = await submit(page);
      expect(signedUp.status()).toBe(200);
      await sumpPage(tab, '03-check-email', 'Check your email');
      expect(app.callbacks.filter((url) => url.searchParams.get('state') === flow.state)).toEqual([]);

      const links = await linksTo(who.email, 'verify');
      expect(links).toHaveLength(1);
      const [link] = links as [URL];
      expect(`${link.origin}${link.pathname}`).toBe(`${issuer}/verify-email`);

      // the person opens the link in the browser that signed up, and confirms
      const opened = await page.goto(link.href);
      expect(opened?.status()).toBe(200);
      await sumpPage(tab, '04-verify', 'Verify your email address');
      const confirmed = submit(page, 'button[name=confirm]');
      const received = await landAtApp(tab, flow);
      expect((await confirmed).status()).toBe(303);
      await saveScreenshot(page, 'signup-05-app');

      const account = await server.db('environment_accounts').where({ environment_id: tenant.environmentId, email_normalized: who.email }).first();
      expect(account).toMatchObject({ name: who.name, email_verified: true });
      const tokens = await exchange(config, flow, received);
      expect(tokens.claims()).toMatchObject({ sub: account.id, iss: issuer, nonce: flow.nonce });
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, account.id);
      expect(userinfo).toMatchObject({ sub: account.id, email: who.email, email_verified: true, name: who.name });
    } finally {
      await tab.page.context().close();
    }
  });

  it('forgot password: the mailed reset link, a new password back in the same sign-in; the old password and refresh token are refused', async () => {
    const tenant = await createTenant(server);
    const user = await signupUser(server, tenant.environmentId);
    // a third-party app: offline access needs the person's consent
    const config = await appClient(tenant);
    const issuer = issuerOf(server, tenant.environmentId);

    // earlier, on another device: signed in through the app, which keeps a refresh token
    const earlier = await openTab('forgot');
    let refreshToken: string;
    try {
      const flow = await start(config, { scope: 'openid profile email offline_access', prompt: 'consent' });
      const { page } = earlier;
      await openLogin(earlier, tenant.environmentId, flow, '01-login');
      expect((await signIn(page, user.email, user.password)).status()).toBe(303);
      await sumpPage(earlier, '02-consent', 'Allow access');
      const received = landAtApp(earlier, flow);
      await page.click('button[name=decision][value=allow]');
      const tokens = await exchange(config, flow, await received);
      expect(tokens.claims()?.sub).toBe(user.accountId);
      // the app refreshes once (rotating the token): it works before the reset
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.claims()?.sub).toBe(user.accountId);
      refreshToken = refreshed.refresh_token as string;
      expect(refreshToken).toEqual(expect.any(String));
    } finally {
      await earlier.page.context().close();
    }

    // now, in a new browser, the person has forgotten the password
    const tab = await openTab('forgot');
    try {
      const { page } = tab;
      const flow = await start(config);
      const uid = await openLogin(tab, tenant.environmentId, flow, '03-login');
      await Promise.all([page.waitForURL(`${issuer}/interaction/${uid}/forgot-password`), page.click('a#forgot-password')]);
      await sumpPage(tab, '04-forgot-password', 'Reset your password');
      await page.fill('input[name=identifier]', user.username);
      expect((await submit(page)).status()).toBe(200);
      await sumpPage(tab, '05-check-email', 'Check your email');

      const links = await linksTo(user.email, 'reset');
      expect(links).toHaveLength(1);
      const [link] = links as [URL];
      expect(`${link.origin}${link.pathname}`).toBe(`${issuer}/reset-password`);
      const opened = await page.goto(link.href);
      expect(opened?.status()).toBe(200);
      await sumpPage(tab, '06-reset-password', 'Set your password');
      await page.fill('input[name=password]', NEW_PASSWORD);
      expect((await submit(page)).status()).toBe(303);
      // back at this interaction's login step
      await page.waitForURL(`${issuer}/interaction/${uid}`);
      await sumpPage(tab, '07-login-after-reset', 'Sign in');

      expect((await signIn(page, user.email, NEW_PASSWORD)).status()).toBe(303);
      // the reset ended the account's grants: the app asks for consent again
      await sumpPage(tab, '08-consent', 'Allow access');
      const received = landAtApp(tab, flow);
      await page.click('button[name=decision][value=allow]');
      const tokens = await exchange(config, flow, await received);
      expect(tokens.claims()).toMatchObject({ sub: user.accountId, iss: issuer, nonce: flow.nonce });
    } finally {
      await tab.page.context().close();
    }

    // the old password is refused on the login page
    const later = await openTab('forgot');
    try {
      const { page } = later;
      const flow = await start(config);
      await openLogin(later, tenant.environmentId, flow, '09-login');
      const refused = await signIn(page, user.email, user.password);
      expect(refused.status()).toBe(401);
      await page.locator('#form-error').waitFor();
      await sumpPage(later, '10-login-error', 'Sign in');
      await expect(page.locator('#form-error').textContent()).resolves.toBe('The email, username or password is not right.');
      await expect(page.locator('input[name=identifier]').getAttribute('aria-invalid')).resolves.toBe('true');
      expect(app.callbacks.filter((url) => url.searchParams.get('state') === flow.state)).toEqual([]);
    } finally {
      await later.page.context().close();
    }

    // …and so is the refresh token the app held
    await expect(oidc.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
