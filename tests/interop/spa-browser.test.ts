import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page, Request, Response } from 'playwright-core';
import { launchBrowser, newPage } from '../helpers/browser.js';
import { createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A single-page app in headless Chromium signs its user in through sump with oidc-client-ts (a
 * browser OIDC library from npm, its browser build served as is from node_modules: no bundler):
 * a public client (no secret) with PKCE, tokens fetched cross-origin from the token endpoint
 * (CORS), userinfo called with the access token, then RP-initiated logout back to the app. The
 * app (tests/interop/spa/) lives on its own loopback origin, served by a small static server.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LIBRARY = path.resolve(HERE, '../../node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js');

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

interface StaticApp {
  readonly origin: string;
  configure(settings: { authority: string; clientId: string }): void;
  close(): Promise<void>;
}

/** The SPA's origin: its page at /, /callback and /signed-out, its script, and the library. */
async function startSpaServer(): Promise<StaticApp> {
  let settings = { authority: '', clientId: '' };
  const files: Record<string, { type: string; body: () => string }> = {
    '/app.js': { type: 'text/javascript', body: () => readFileSync(path.join(HERE, 'spa', 'app.js'), 'utf8') },
    '/vendor/oidc-client-ts.min.js': { type: 'text/javascript', body: () => readFileSync(LIBRARY, 'utf8') },
  };
  const page = () =>
    readFileSync(path.join(HERE, 'spa', 'index.html'), 'utf8')
      .replace('{{authority}}', escapeAttribute(settings.authority))
      .replace('{{clientId}}', escapeAttribute(settings.clientId));
  const server: Server = createServer((incoming, response) => {
    const pathname = new URL(incoming.url ?? '/', 'http://spa').pathname;
    const file = files[pathname];
    if (file) {
      response.writeHead(200, { 'content-type': `${file.type}; charset=utf-8` }).end(file.body());
    } else if (pathname === '/' || pathname === '/callback' || pathname === '/signed-out') {
      // the app may only talk to its own origin and to sump
      const csp = `default-src 'self'; connect-src 'self' ${new URL(settings.authority).origin}; base-uri 'none'; object-src 'none'`;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(page());
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    configure: (next) => (settings = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a single-page app with oidc-client-ts in headless Chromium', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let user: TestUser;
  let client: TestClient;
  let spa: StaticApp;
  let browser: Browser;
  let page: Page;
  let issuer: string;
  const problems: string[] = [];
  const requests: Request[] = [];
  const responses: Response[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
    tenant = await createTenant(server);
    user = await signupUser(server, tenant.environmentId);
    issuer = issuerOf(server, tenant.environmentId);
    spa = await startSpaServer();
    client = await createClient(server, tenant, {
      name: 'Interop SPA',
      tokenEndpointAuthMethod: 'none',
      redirectUris: [`${spa.origin}/callback`],
      postLogoutRedirectUris: [`${spa.origin}/signed-out`],
    });
    spa.configure({ authority: issuer, clientId: client.clientId });
    page = await newPage(browser);
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('request', (request) => requests.push(request));
    page.on('response', (response) => responses.push(response));
  });

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await spa?.close();
    await server?.close();
  });

  const endpoint = (suffix: string) => `${issuer}${suffix}`;
  const responseTo = (url: string, method = 'GET') =>
    responses.find((response) => response.url().split('?')[0] === url && response.request().method() === method);

  it('is a public client: sump gave it no secret', () => {
    expect(client.clientSecret).toBeUndefined();
    expect(client.tokenEndpointAuthMethod).toBe('none');
  });

  it('signs in with code + PKCE through sump’s pages, gets tokens through CORS, and shows the user’s email from userinfo', async () => {
    await page.goto(`${spa.origin}/`);
    await expect(page.locator('#status').textContent()).resolves.toBe('signed out');

    await page.click('#sign-in');
    await page.waitForURL(new RegExp(`/oidc/${tenant.environmentId}/interaction/`));
    await page.fill('input[name=identifier]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('form button[type=submit]');
    await page.waitForSelector('button[name=decision][value=allow]');
    await page.click('button[name=decision][value=allow]');

    await page.waitForURL(`${spa.origin}/`);
    await page.locator('#status', { hasText: /^signed in$/ }).waitFor();
    await expect(page.locator('#email').textContent()).resolves.toBe(user.email);
    await expect(page.locator('#sub').textContent()).resolves.toBe(user.accountId);
    await expect(page.locator('#error').textContent()).resolves.toBe('');

    const authorization = new URL(requests.find((request) => request.url().startsWith(endpoint('/auth?')))!.url());
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('client_id')).toBe(client.clientId);
    expect(authorization.searchParams.get('state')).toEqual(expect.any(String));

    // the token request came from the app's origin, without a secret, and sump allowed that origin
    const token = responseTo(endpoint('/token'), 'POST')!;
    expect(token.status()).toBe(200);
    const sent = await token.request().allHeaders();
    expect(sent.origin).toBe(spa.origin);
    expect(sent.authorization).toBeUndefined();
    const tokenForm = new URLSearchParams(token.request().postData() ?? '');
    expect([tokenForm.get('grant_type'), tokenForm.get('client_id'), tokenForm.get('code_verifier')?.length]).toEqual([
      'authorization_code',
      client.clientId,
      expect.any(Number),
    ]);
    expect(tokenForm.has('client_secret')).toBe(false);
    expect(token.headers()['access-control-allow-origin']).toBe(spa.origin);

    const userinfo = responseTo(endpoint('/me'))!;
    expect(userinfo.status()).toBe(200);
    expect(userinfo.headers()['access-control-allow-origin']).toBe(spa.origin);
    expect(problems).toEqual([]);
  });

  it('logs out (RP-initiated, id_token_hint and state) back to the app, and sump’s session has ended', async () => {
    await page.click('#sign-out');
    await page.waitForURL(new RegExp(`/oidc/${tenant.environmentId}/session/end`));
    const endSession = new URL(requests.filter((request) => request.url().startsWith(endpoint('/session/end?'))).at(-1)!.url());
    expect(endSession.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${spa.origin}/signed-out`);
    const state = endSession.searchParams.get('state');
    expect(state).toEqual(expect.any(String));

    await page.click('button[name=logout][value=yes]');
    await page.waitForURL(new RegExp(`^${spa.origin}/signed-out`));
    expect(new URL(page.url()).searchParams.get('state')).toBe(state);
    await page.locator('#status', { hasText: /^signed out$/ }).waitFor();
    await expect(page.locator('#error').textContent()).resolves.toBe('');

    // signing in again needs the password again
    await page.click('#sign-in');
    await page.waitForURL(new RegExp(`/oidc/${tenant.environmentId}/interaction/`));
    await expect(page.locator('input[name=password]').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
  });

  it('lets Chromium read token answers only on the app’s origin: the same call from another origin is blocked by CORS', async () => {
    const stranger = await startSpaServer();
    try {
      stranger.configure({ authority: issuer, clientId: client.clientId });
      const attempt = (origin: string) =>
        page.goto(`${origin}/`).then(() =>
          page.evaluate(
            async ({ url, clientId }) => {
              const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'not-a-token' });
              try {
                const answer = await fetch(url, { method: 'POST', body });
                return `read ${answer.status} ${((await answer.json()) as { error?: string }).error}`;
              } catch {
                return 'blocked';
              }
            },
            { url: endpoint('/token'), clientId: client.clientId },
          ),
        );
      await expect(attempt(spa.origin)).resolves.toBe('read 400 invalid_grant');
      await expect(attempt(stranger.origin)).resolves.toBe('blocked');
    } finally {
      await stranger.close();
    }
  });
});
