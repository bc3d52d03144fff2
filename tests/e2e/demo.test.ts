import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, saveScreenshot } from '../helpers/browser.js';
import { freePort, startScript, stopProcessGroup, type ScriptRun } from '../helpers/child-process.js';

/**
 * Issue 2's demo acceptance, as a newcomer does it: `npm run demo` on a fresh DATA_DIR, open the
 * URL it prints in a real browser, sign in on sump's hosted login page with the printed
 * credentials, and see the demo user's claims in the sample app. A second run reuses what the
 * first one made.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `npm run demo` without npm in between: the demo's own process, leading its own process group. */
const startDemo = (env: Record<string, string>): ScriptRun => startScript('scripts/demo.ts', env, { detached: true });

interface Printed {
  readonly url: string;
  readonly userEmail: string;
  readonly userPassword: string;
  readonly tenantId: string;
  readonly environmentId: string;
  readonly ownerEmail: string;
  readonly ownerPassword: string;
  readonly issuer: string;
  readonly clientId: string;
}

/** The labelled lines the demo prints, read as a newcomer reads them. */
function parsePrinted(output: string): Printed {
  const value = (label: string) => {
    const match = new RegExp(`^\\s*${label}:\\s+(\\S+)\\s*$`, 'm').exec(output);
    if (!match?.[1]) throw new Error(`the demo printed no "${label}:" line:\n${output}`);
    return match[1];
  };
  return {
    url: value('Open this URL'),
    userEmail: value('Demo user email'),
    userPassword: value('Demo user password'),
    tenantId: value('Tenant id'),
    environmentId: value('Environment id'),
    ownerEmail: value('Tenant owner email'),
    ownerPassword: value('Tenant owner password'),
    issuer: value('Issuer'),
    clientId: value('Client id'),
  };
}

const READY = 'Ctrl-C stops sump and the sample app.';

const cellOf = (page: Page, table: string, claim: string) => page.locator(`#${table} tr[data-claim="${claim}"] td`);

// Embedded pass only (see jest.config.js): the demo runs on its own embedded database whatever
// TEST_DATABASE_URL says, so the PostgreSQL pass would repeat the same run.
describe('npm run demo', () => {
  let dataDir: string;
  let demoFile: string;
  let env: Record<string, string>;
  let ports: { sump: number; sampleApp: number };
  let browser: Browser | undefined;
  let first: ScriptRun | undefined;
  let second: ScriptRun | undefined;
  let printed: Printed;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sump-demo-e2e-'));
    demoFile = path.join(dataDir, 'demo.json');
    ports = { sump: await freePort(), sampleApp: await freePort() };
    env = { PORT: String(ports.sump), SAMPLE_APP_PORT: String(ports.sampleApp), DATA_DIR: dataDir };
    first = startDemo(env);
    browser = await launchBrowser();
  }, 20_000);

  afterAll(async () => {
    await Promise.allSettled([stopProcessGroup(first, 2_000), stopProcessGroup(second, 2_000), browser?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 15_000);

  it('prints the URL to open and the demo credentials, and keeps them in DATA_DIR/demo.json (0600)', async () => {
    // The first start creates the embedded database (initdb): 10 to 20 s on a CI machine.
    const output = await (first as ScriptRun).waitFor(READY, 45_000);
    printed = parsePrinted(output);
    expect(printed.url).toBe(`http://localhost:${ports.sampleApp}/`);
    expect(printed.userEmail).toBe('demo@example.com');
    expect(printed.userPassword.length).toBeGreaterThanOrEqual(16);
    expect(printed.tenantId).toMatch(UUID);
    expect(printed.environmentId).toMatch(UUID);
    expect(printed.issuer).toBe(`http://localhost:${ports.sump}/oidc/${printed.environmentId}`);
    expect(printed.clientId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(output).toContain('created: tenant, environment, client, user');

    expect(statSync(demoFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(demoFile, 'utf8')) as {
      client: { clientId: string; clientSecret: string };
      user: { password: string };
      owner: { password: string };
    };
    expect(saved.client.clientId).toBe(printed.clientId);
    expect(saved.client.clientSecret).toEqual(expect.any(String));
    expect(saved.client.clientSecret.length).toBeGreaterThan(20);
    expect(saved.user.password).toBe(printed.userPassword);
    expect(saved.owner.password).toBe(printed.ownerPassword);
  }, 50_000);

  it('signs the demo user in through the hosted login page and shows their claims', async () => {
    const page = await newPage(browser as Browser);
    try {
      await page.goto(printed.url);
      await expect(page.locator('h1').textContent()).resolves.toBe('You are signed out');
      await page.getByRole('link', { name: 'Sign in' }).click();

      await page.waitForURL((url) => url.href.startsWith(`${printed.issuer}/interaction/`));
      await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
      await saveScreenshot(page, 'demo-login');

      // A wrong password stays on sump's page, with its message.
      await page.fill('input[name=identifier]', printed.userEmail);
      await page.fill('input[name=password]', `${printed.userPassword}-wrong`);
      await page.click('button[type=submit]');
      await expect(page.getByRole('alert').textContent()).resolves.toContain('is not right');

      await page.fill('input[name=identifier]', printed.userEmail);
      await page.fill('input[name=password]', printed.userPassword);
      await Promise.all([page.waitForURL(printed.url), page.click('button[type=submit]')]);

      await expect(page.locator('h1').textContent()).resolves.toBe('Signed in as Demo User');
      const sub = await cellOf(page, 'id-token-claims', 'sub').textContent();
      expect(sub).toMatch(UUID);
      await expect(cellOf(page, 'id-token-claims', 'iss').textContent()).resolves.toBe(printed.issuer);
      await expect(cellOf(page, 'id-token-claims', 'aud').textContent()).resolves.toBe(printed.clientId);
      await expect(cellOf(page, 'userinfo', 'sub').textContent()).resolves.toBe(sub);
      await expect(cellOf(page, 'userinfo', 'email').textContent()).resolves.toBe('demo@example.com');
      await expect(cellOf(page, 'userinfo', 'name').textContent()).resolves.toBe('Demo User');
      await saveScreenshot(page, 'demo-signed-in');

      // RP-initiated logout: sump asks, then sends the browser back to the app, signed out.
      await page.getByRole('link', { name: 'Sign out' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${printed.issuer}/session/end`));
      await Promise.all([page.waitForURL(printed.url), page.click('button[name=logout][value=yes]')]);
      await expect(page.locator('h1').textContent()).resolves.toBe('You are signed out');
    } finally {
      await page.context().close();
    }
  }, 20_000);

  it('stops cleanly on SIGTERM, releasing the embedded database', async () => {
    const exit = await stopProcessGroup(first);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  }, 15_000);

  it('reuses demo.json on a second run: the same client, environment and credentials', async () => {
    const before = readFileSync(demoFile, 'utf8');
    second = startDemo(env);
    const output = await second.waitFor(READY, 30_000);
    expect(output).toContain(`reusing ${demoFile}`);
    expect(output).not.toContain('created:');
    expect(parsePrinted(output)).toEqual(printed);
    expect(readFileSync(demoFile, 'utf8')).toBe(before);
    const home = await fetch(printed.url);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('href="/login"');
  }, 35_000);
});
