import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createClient, createEnvironment, createEnvironmentWithSettings, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { launchBrowser, newPage, saveScreenshot } from '../helpers/browser.js';
import { findElement, type PageResponse } from '../helpers/http-browser.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startMailTestServer, type ReceivedMail } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

interface Branding {
  readonly displayName: string;
  readonly logoUrl: string;
  readonly primaryColor: string;
}

const ACME: Branding = { displayName: 'Acme Corp', logoUrl: 'https://cdn.acme.example/brand/logo.svg', primaryColor: '#0A7F3F' };
/** A light colour: text on it must be dark, and links on white must not use it. */
const GOLD: Branding = { displayName: 'Gold Bank', logoUrl: 'https://img.goldbank.example:8443/logo.png', primaryColor: '#ffd700' };

/** The page's CSP as directive → sources. */
function cspOf(page: { headers: Headers }): Map<string, string[]> {
  const header = page.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

/** A small logo for the headless browser (nothing outside the machine is reached). */
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><rect width="120" height="32" fill="#333"/></svg>';

const stylesheetsOf = (page: PageResponse) =>
  (findElement(page, 'head')?.querySelectorAll('link[rel=stylesheet]') ?? []).map((link) => link.getAttribute('href') ?? '');

/**
 * Each environment's branding on its hosted pages (issue 4 items 5–6, DESIGN.md "Hosted pages"):
 * the display name, the logo (its origin, and only it, added to `img-src`), and the primary
 * colour served in a per-environment stylesheet, never inline.
 */
describe('branding of the hosted pages', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let tenant: TestTenant;
  /** Environment id → the branding it was given. */
  const branded = new Map<string, Branding>();
  let acme: string;
  let gold: string;

  async function patchSettings(environmentId: string, settings: Record<string, unknown>) {
    return request(server.url)
      .patch(`/api/v1/tenants/${tenant.tenantId}/environments/${environmentId}`)
      .set('Cookie', tenant.cookie)
      .send({ settings });
  }

  async function brandedEnvironment(branding: Branding): Promise<string> {
    const environment = await createEnvironment(server, tenant);
    const patched = await patchSettings(environment.id, { branding });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.branding).toEqual(branding);
    branded.set(environment.id, branding);
    return environment.id;
  }

  /** The login page of a real authorization request in the environment. */
  async function loginPage(environmentId: string): Promise<PageResponse> {
    const client = await createClient(server, tenant, {}, environmentId);
    const config = await discoverClient(server, environmentId, client);
    const page = await newBrowser().follow((await authorizationRequest(config)).url.href);
    expect(page.status).toBe(200);
    expect(findElement(page, 'input[name=password]')).not.toBeNull();
    return page;
  }

  async function lastMailTo(address: string): Promise<ReceivedMail> {
    await server.sump.services.mail.deliverDue();
    const mail = mailsTo(smtp.received, address).at(-1);
    if (!mail) throw new Error(`no mail to ${address}`);
    return mail;
  }
  function verifyLinkIn(mail: ReceivedMail): URL {
    const match = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(decodedMail(mail));
    if (!match) throw new Error(`no verify link in the mail:\n${decodedMail(mail).slice(0, 2000)}`);
    return new URL(match[0]);
  }

  /** What a page of the environment must show and send: its name, logo, stylesheet and CSP. */
  function expectBrandedPage(page: PageResponse, environmentId: string): void {
    const branding = branded.get(environmentId);
    if (!branding) throw new Error(`no branding for ${environmentId}`);
    const logo = findElement(page, 'img.logo');
    expect(logo?.getAttribute('src')).toBe(branding.logoUrl);
    // decorative: the display name is printed beside it, so a screen reader reads it once
    expect(logo?.getAttribute('alt')).toBe('');
    expect(findElement(page, '.brand')?.textContent).toBe(branding.displayName);
    expect(findElement(page, 'title')?.textContent).toContain(branding.displayName);
    const sheets = stylesheetsOf(page);
    expect(sheets).toHaveLength(2);
    expect(sheets[0]).toBe('/assets/sump.css');
    expect(sheets[1]).toMatch(new RegExp(`^/oidc/${environmentId}/branding\\.css\\?v=[A-Za-z0-9_-]+$`));
    const csp = cspOf(page);
    expect(csp.get('img-src')).toEqual(["'self'", new URL(branding.logoUrl).origin]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    // nothing of the other environments' branding
    for (const [otherId, other] of branded) {
      if (otherId === environmentId) continue;
      expect(page.body).not.toContain(other.displayName);
      expect(page.body).not.toContain(other.logoUrl);
      expect(page.headers.get('content-security-policy')).not.toContain(new URL(other.logoUrl).host);
    }
  }

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
    tenant = await createTenant(server);
    acme = await brandedEnvironment(ACME);
    gold = await brandedEnvironment(GOLD);
  });
  afterAll(async () => {
    await mailing.close();
  });

  it('shows each environment its own name, logo and stylesheet on the login page, with only its logo origin in img-src', async () => {
    const acmePage = await loginPage(acme);
    const goldPage = await loginPage(gold);
    expectBrandedPage(acmePage, acme);
    expectBrandedPage(goldPage, gold);
    expect(cspOf(acmePage).get('img-src')).toEqual(["'self'", 'https://cdn.acme.example']);
    expect(cspOf(goldPage).get('img-src')).toEqual(["'self'", 'https://img.goldbank.example:8443']);
    expect(stylesheetsOf(acmePage)[1]).not.toBe(stylesheetsOf(goldPage)[1]);
  });

  it('brands the verify-email and reset-password pages a mail links to, and the error pages, of each environment', async () => {
    for (const environmentId of [acme, gold]) {
      const person = await signupUser(server, environmentId);
      const verify = await newBrowser().follow(verifyLinkIn(await lastMailTo(person.email)).href);
      expect(verify.status).toBe(200);
      expect(findElement(verify, 'button[name=confirm]')).not.toBeNull();
      expectBrandedPage(verify, environmentId);

      await request(server.url).post(`/api/v1/auth/environments/${environmentId}/forgot-password`).send({ email: person.email }).expect(200);
      const reset = await newBrowser().follow(resetLinkIn(await lastMailTo(person.email)).href);
      expect(reset.status).toBe(200);
      expect(findElement(reset, 'input[name=password]')).not.toBeNull();
      expectBrandedPage(reset, environmentId);

      const badLink = await newBrowser().follow(`${issuerOf(server, environmentId)}/reset-password?token=not-a-token`);
      expect(badLink.status).toBe(400);
      expect(findElement(badLink, 'h1')?.textContent).toBe('This link does not work');
      expectBrandedPage(badLink, environmentId);

      const notFound = await newBrowser().follow(`${issuerOf(server, environmentId)}/verify-email`, { method: 'PUT' });
      expect(notFound.status).toBe(404);
      expect(findElement(notFound, 'h1')?.textContent).toBe('Not found');
      expectBrandedPage(notFound, environmentId);

      // oidc-provider's own pages, replaced by sump's: an error and the signed-out page
      const providerError = await newBrowser().follow(
        `${issuerOf(server, environmentId)}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fapp.example%2Fcb`,
        { headers: { accept: 'text/html' } },
      );
      expect(providerError.status).toBe(400);
      expect(findElement(providerError, 'code')?.textContent).toBe('invalid_client');
      expectBrandedPage(providerError, environmentId);

      // without a session the end-session endpoint posts itself (oidc-provider's page), then signs out
      const browser = newBrowser();
      const autoPost = await browser.follow(`${issuerOf(server, environmentId)}/session/end`);
      expect(autoPost.status).toBe(200);
      const signedOut = await browser.submit(autoPost, {});
      expect(signedOut.status).toBe(200);
      expect(findElement(signedOut, 'h1')?.textContent).toBe('You are signed out');
      expectBrandedPage(signedOut, environmentId);
    }
  });

  it('serves each environment its own colour in branding.css, with a readable text colour on it, briefly cached', async () => {
    const acmeCss = await request(server.url).get(`/oidc/${acme}/branding.css`);
    expect(acmeCss.status).toBe(200);
    expect(acmeCss.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(acmeCss.headers['cache-control']).toBe('public, max-age=300');
    expect(acmeCss.text).toBe(':root { --brand: #0a7f3f; --brand-text: #ffffff; --brand-link: #0a7f3f; }\n');

    // gold is light: dark text on it, and links on white do not use it
    const goldCss = await request(server.url).get(`/oidc/${gold}/branding.css`);
    expect(goldCss.status).toBe(200);
    expect(goldCss.text).toBe(':root { --brand: #ffd700; --brand-text: #111827; --brand-link: #111827; }\n');

    // the ETag revalidates; the same content answers 304
    expect(acmeCss.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(acmeCss.headers.etag).not.toBe(goldCss.headers.etag);
    const again = await request(server.url).get(`/oidc/${acme}/branding.css`).set('If-None-Match', acmeCss.headers.etag ?? '');
    expect(again.status).toBe(304);
    expect(again.text ?? '').toBe('');

    // the page links the stylesheet by a version of its content
    const page = await loginPage(acme);
    expect(stylesheetsOf(page)[1]).toBe(`/oidc/${acme}/branding.css?v=${JSON.parse(acmeCss.headers.etag ?? '""')}`);
  });

  it('changes the stylesheet URL and content when the colour changes', async () => {
    const environmentId = await brandedEnvironment({ ...ACME, displayName: 'Changing Co', logoUrl: 'https://changing.example/logo.png' });
    const before = stylesheetsOf(await loginPage(environmentId))[1];
    const patched = await patchSettings(environmentId, { branding: { primaryColor: '#5b21b6' } });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.branding.primaryColor).toBe('#5b21b6');
    const after = stylesheetsOf(await loginPage(environmentId))[1];
    expect(after).toMatch(/branding\.css\?v=/);
    expect(after).not.toBe(before);
    const css = await request(server.url).get(after ?? '');
    expect(css.text).toBe(':root { --brand: #5b21b6; --brand-text: #ffffff; --brand-link: #5b21b6; }\n');
  });

  it('gives an environment without branding the defaults: its name, no logo, nothing in img-src beyond self', async () => {
    const page = await loginPage(tenant.environmentId);
    expect(findElement(page, 'img')).toBeNull();
    const environment = await request(server.url)
      .get(`/api/v1/tenants/${tenant.tenantId}/environments/${tenant.environmentId}`)
      .set('Cookie', tenant.cookie)
      .expect(200);
    expect(environment.body.settings.branding).toEqual({ displayName: null, logoUrl: null, primaryColor: null });
    expect(findElement(page, '.brand')?.textContent).toBe(environment.body.name);
    expect(cspOf(page).get('img-src')).toEqual(["'self'"]);
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const sheet = stylesheetsOf(page)[1] ?? '';
    expect(sheet).toMatch(new RegExp(`^/oidc/${tenant.environmentId}/branding\\.css\\?v=`));
    const css = await request(server.url).get(sheet);
    expect(css.status).toBe(200);
    expect(css.text).toBe(':root {}\n');
  });

  it('refuses a colour that is not #rrggbb (400, nothing stored), and serves only what the resolved settings hold', async () => {
    const environmentId = await brandedEnvironment({ ...GOLD, displayName: 'Strict Ltd', logoUrl: 'https://strict.example/logo.png' });
    for (const primaryColor of ['#fff', 'red', '#ffd70g', '#ffd700 ', '#ffd700; } body { background: url(https://evil.example/x) } :root {', 'rgb(1,2,3)']) {
      const refused = await patchSettings(environmentId, { branding: { primaryColor } });
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('request.validation_failed');
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'settings.branding.primaryColor' })]);
    }
    const stored = await request(server.url)
      .get(`/api/v1/tenants/${tenant.tenantId}/environments/${environmentId}`)
      .set('Cookie', tenant.cookie)
      .expect(200);
    expect(stored.body.settings.branding.primaryColor).toBe('#ffd700');
    const css = await request(server.url).get(`/oidc/${environmentId}/branding.css`).expect(200);
    expect(css.text).toBe(':root { --brand: #ffd700; --brand-text: #111827; --brand-link: #111827; }\n');

    // a row holding a bad colour (written past the API) is not valid settings: the defaults are served
    const forged = await createEnvironmentWithSettings(server, tenant, {
      branding: { displayName: 'Forged', primaryColor: '#123456; } * { background: url(https://evil.example/x) } :root {' },
    });
    const forgedCss = await request(server.url).get(`/oidc/${forged}/branding.css`).expect(200);
    expect(forgedCss.text).toBe(':root {}\n');
    const forgedPage = await loginPage(forged);
    expect(forgedPage.body).not.toContain('evil.example');
    expect(forgedPage.body).not.toContain('#123456');
  });

  it('refuses a logo URL without a plain host (400), and a row holding one shows no logo and adds nothing to the CSP', async () => {
    const environment = await createEnvironment(server, tenant);
    // a URL parser keeps ";" in a host: taken as it is, it would end img-src and start a directive
    const logoUrl = 'https://cdn.example;script-src*/logo.png';
    const refused = await patchSettings(environment.id, { branding: { displayName: 'Odd Host', logoUrl } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'settings.branding.logoUrl' })]);

    const forged = await createEnvironmentWithSettings(server, tenant, { branding: { displayName: 'Odd Host', logoUrl } });
    const page = await loginPage(forged);
    expect(findElement(page, 'img')).toBeNull();
    const csp = cspOf(page);
    expect(csp.get('img-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(page.headers.get('content-security-policy')).not.toContain('cdn.example');
  });

  it('answers 404 for the stylesheet of an environment that does not exist', async () => {
    for (const environmentId of [randomUUID(), 'not-an-id']) {
      const answer = await request(server.url).get(`/oidc/${environmentId}/branding.css`);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.text).toContain('There is nothing at this address.');
      expect(answer.text).not.toContain('--brand');
    }
  });

  it('keeps a branded login page under 50 KB with the stylesheets it loads', async () => {
    const page = await loginPage(acme);
    let total = Buffer.byteLength(page.body);
    const sheets = stylesheetsOf(page);
    expect(sheets).toHaveLength(2);
    for (const sheet of sheets) {
      const css = await request(server.url).get(sheet).expect(200);
      expect(css.headers['content-type']).toMatch(/^text\/css/);
      const bytes = Buffer.byteLength(css.text);
      expect(bytes).toBeGreaterThan(0);
      total += bytes;
    }
    expect(total).toBeLessThan(50 * 1024);
  });

  it('renders in headless Chromium with no CSP violation, the logo loaded and the button in the environment\'s colour', async () => {
    const browser = await launchBrowser();
    try {
      for (const [environmentId, expected] of [
        [acme, { background: 'rgb(10, 127, 63)', text: 'rgb(255, 255, 255)', shot: 'branding-login-acme' }],
        [gold, { background: 'rgb(255, 215, 0)', text: 'rgb(17, 24, 39)', shot: 'branding-login-gold' }],
      ] as const) {
        const branding = branded.get(environmentId) as Branding;
        const client = await createClient(server, tenant, {}, environmentId);
        const start = await authorizationRequest(await discoverClient(server, environmentId, client));
        const page = await newPage(browser);
        try {
          const problems: string[] = [];
          page.on('console', (message) => {
            if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
          });
          page.on('pageerror', (error) => problems.push(error.message));
          const logoRequests: string[] = [];
          await page.route(`${new URL(branding.logoUrl).origin}/**`, async (route) => {
            logoRequests.push(route.request().url());
            await route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG });
          });
          await page.goto(start.url.href);
          await page.waitForURL((url) => url.pathname.startsWith(`/oidc/${environmentId}/interaction/`));
          await page.waitForLoadState('load');

          await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
          await expect(page.locator('.brand').textContent()).resolves.toBe(branding.displayName);
          const button = page.locator('button[type=submit]').first();
          const colours = await button.evaluate((element) => {
            const style = getComputedStyle(element);
            return { background: style.backgroundColor, text: style.color };
          });
          expect(colours).toEqual({ background: expected.background, text: expected.text });
          // the logo came from its origin, which the page's CSP allows
          expect(logoRequests).toEqual([branding.logoUrl]);
          const logoWidth = await page.locator('img.logo').evaluate((element) => (element as HTMLImageElement).naturalWidth);
          expect(logoWidth).toBe(120);
          expect(problems).toEqual([]);
          await saveScreenshot(page, expected.shot);
        } finally {
          await page.context().close();
        }
      }
    } finally {
      await browser.close();
    }
  });
});
