import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * A real headless browser for end-to-end tests: Debian's Chromium driven by playwright-core.
 * Playwright's own browser downloads are never used (no `npx playwright install`): the machine
 * provides /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it).
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where screenshots go (gitignored). */
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium; fails with what to install when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install -y chromium) to run the browser tests`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A fresh page in its own context (its own cookies), so tests sharing one browser share no
 * session. Closing the page's context is the caller's: `await page.context().close()`.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  return context.newPage();
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and answers its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`screenshot name "${name}" must be a plain file name`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
