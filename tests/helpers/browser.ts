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

/** What a page reported and weighed: see watchPage. */
export interface PageReport {
  /** Console errors and warnings, uncaught exceptions and CSP violations since the page was watched. */
  readonly problems: string[];
  /** The bytes of the current document's HTML as it was served. */
  readonly htmlBytes: number;
  /** Each stylesheet the document links, with the bytes of its body. */
  readonly stylesheets: { readonly url: string; readonly bytes: number }[];
  /** HTML and stylesheets together. */
  readonly totalBytes: number;
}

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/**
 * Watches a page before it navigates: console errors and warnings, uncaught exceptions, and CSP
 * violations (a `securitypolicyviolation` listener installed in every document), and the
 * response bodies of its documents and stylesheets. `report()` answers them for the document
 * now shown, once it has loaded. Two "Failed to load resource" messages are not the page's
 * problems: a document's own 4xx (the test asserts that status) and Chromium's own request
 * for /favicon.ico.
 */
export async function watchPage(page: Page): Promise<{ report(): Promise<PageReport> }> {
  const problems: string[] = [];
  const stylesheetBytes = new Map<string, Promise<number>>();
  let htmlBytes: Promise<number> = Promise.resolve(Number.NaN);
  /** Documents answered with a 4xx or 5xx: their status is the test's to assert. */
  const failedDocuments = new Set<string>();
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const where = message.location().url;
    if (message.text().startsWith('Failed to load resource')) {
      if (failedDocuments.has(where)) return;
      // Chromium asks every origin for /favicon.ico on its own; the page links none
      if (where && new URL(where).pathname === '/favicon.ico') return;
    }
    problems.push(`console ${message.type()}: ${message.text()} (${where})`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    const request = response.request();
    const redirect = response.status() >= 300 && response.status() < 400;
    if (request.isNavigationRequest() && response.status() >= 400) failedDocuments.add(response.url());
    if (request.resourceType() === 'stylesheet' && !redirect) {
      stylesheetBytes.set(response.url(), response.body().then((body) => body.length, () => Number.NaN));
    } else if (request.isNavigationRequest() && request.frame() === page.mainFrame() && !redirect) {
      htmlBytes = response.body().then((body) => body.length, () => Number.NaN);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations = [...(window.__cspViolations ?? []), `${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`];
    });
  });
  return {
    async report() {
      await page.waitForLoadState('load');
      const violations = await page.evaluate(() => window.__cspViolations ?? []);
      const hrefs = await page.$$eval('link[rel=stylesheet]', (links) => links.map((link) => (link as HTMLLinkElement).href));
      const stylesheets = [];
      for (const url of hrefs) {
        // a stylesheet served from the memory cache sends no response event: fetch it once more
        const bytes = (await stylesheetBytes.get(url)) ?? (await (await page.context().request.get(url)).body()).length;
        stylesheets.push({ url, bytes });
      }
      const html = await htmlBytes;
      return {
        problems: [...problems, ...violations.map((violation) => `CSP: ${violation}`)],
        htmlBytes: html,
        stylesheets,
        totalBytes: html + stylesheets.reduce((sum, sheet) => sum + sheet.bytes, 0),
      };
    },
  };
}
