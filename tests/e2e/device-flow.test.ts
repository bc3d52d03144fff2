import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Browser, Page, Response } from 'playwright-core';
import { launchBrowser, newPage, saveScreenshot, watchPage, type PageReport } from '../helpers/browser.js';
import { createClient, createEnvironmentWithSettings, createTenant, signupUser } from '../helpers/fixtures.js';
import { discoverClient } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The device page (RFC 8628) in a real browser: a "TV" (openid-client) starts the grant, headless
 * Chromium opens verification_uri_complete, continues, confirms, signs in and consents, and the
 * TV's poll gets the user's tokens. Every sump page met is screenshotted into
 * test-artifacts/screenshots/device-*.png and must report no console error, exception or CSP
 * violation (the branded environment's stylesheet included).
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('the device page in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The sump page now shown: its heading, no problem reported, screenshotted as `device-<step>.png`. */
  async function sumpPage(page: Page, watch: { report(): Promise<PageReport> }, step: string, heading: string): Promise<void> {
    await page.locator('h1', { hasText: heading }).waitFor();
    const report = await watch.report();
    await expect(page.locator('h1').textContent()).resolves.toBe(heading);
    expect(report.problems).toEqual([]);
    expect(report.stylesheets.length).toBeGreaterThan(0);
    await saveScreenshot(page, `device-${step}`);
  }

  async function click(page: Page, selector: string): Promise<Response> {
    const posted = page.waitForResponse((response) => response.request().method() === 'POST' && response.request().isNavigationRequest());
    await page.click(selector);
    return posted;
  }

  it('verification_uri_complete → confirm → sign in → consent → signed in; the device gets the tokens', async () => {
    const tenant = await createTenant(server);
    const environmentId = await createEnvironmentWithSettings(server, tenant, {
      branding: { displayName: 'Acme TV', primaryColor: '#7a1fa2' },
    });
    const user = await signupUser(server, environmentId);
    const client = await createClient(server, tenant, { name: 'Acme TV app', redirectUris: [], grantTypes: [DEVICE_GRANT] }, environmentId);
    const config = await discoverClient(server, environmentId, client);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile' });

    const page = await newPage(browser);
    try {
      const watch = await watchPage(page);
      await page.goto(device.verification_uri_complete as string);
      await sumpPage(page, watch, 'code', 'Sign in on a device');
      await expect(page.inputValue('input[name=user_code]')).resolves.toBe(device.user_code);

      expect((await click(page, 'form button[type=submit]')).status()).toBe(200);
      await sumpPage(page, watch, 'confirm', 'Confirm the device');
      await expect(page.locator('code').textContent()).resolves.toBe(device.user_code);

      await click(page, 'button[name=confirm]');
      await sumpPage(page, watch, 'login', 'Sign in');
      await page.fill('input[name=identifier]', user.email);
      await page.fill('input[name=password]', user.password);
      await click(page, 'form button[type=submit]');
      await sumpPage(page, watch, 'consent', 'Allow access');
      await click(page, 'button[name=decision][value=allow]');
      await sumpPage(page, watch, 'done', 'Your device is signed in');
    } finally {
      await page.context().close();
    }

    const tokens = await oidc.pollDeviceAuthorizationGrant(config, { ...device, interval: 0 });
    expect(tokens.claims()?.sub).toBe(user.accountId);
  });

  it('shows a wrong code on the same branded form, without a browser problem', async () => {
    const tenant = await createTenant(server);
    const page = await newPage(browser);
    try {
      const watch = await watchPage(page);
      await page.goto(`${server.url}/oidc/${tenant.environmentId}/device`);
      await sumpPage(page, watch, 'code-empty', 'Sign in on a device');
      await page.fill('input[name=user_code]', 'BCDF-GHJK');
      expect((await click(page, 'form button[type=submit]')).status()).toBe(400);
      await sumpPage(page, watch, 'code-wrong', 'Sign in on a device');
      await expect(page.locator('p.error[role=alert]').textContent()).resolves.toContain('That code is not right');
    } finally {
      await page.context().close();
    }
  });
});
