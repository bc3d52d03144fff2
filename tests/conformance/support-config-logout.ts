import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import { findElement, type HttpBrowser, type PageResponse } from '../helpers/http-browser.js';

/**
 * What the Config OP, logout and redirect-URI conformance files add to support.ts (helper
 * "config-logout"): a real HTTP receiver for back-channel logout, and the end-session steps the
 * suite's tester takes in the browser.
 */

export interface Receiver {
  readonly url: string;
  readonly hits: { path: string; method: string; contentType: string | undefined; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP server standing for a relying party's back-channel logout endpoint (answers 200). */
export async function startReceiver(): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server: Server = createServer((incoming: IncomingMessage, response) => {
    let body = '';
    incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
    incoming.on('end', () => {
      hits.push({ path: incoming.url ?? '', method: incoming.method ?? '', contentType: incoming.headers['content-type'], body });
      response.writeHead(200, { 'cache-control': 'no-store' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What a browser's navigation sends as Accept. */
export const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The end-session request as the suite builds it (BuildRedirectToEndSessionEndpoint): only the given parameters. */
export function endSessionUrl(endpoint: string, params: Record<string, string | undefined>): string {
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/** The page answers the request with the logout confirmation (sump's page, DESIGN.md's button). */
export function isLogoutConfirmation(page: PageResponse): boolean {
  return page.status === 200 && findElement(page, 'button[name=logout][value=yes]') !== null;
}

/**
 * The tester's part of a logout: opens the end-session URL, is shown the confirmation page,
 * confirms; answers where the browser ended (a redirect to the app, or sump's signed-out page).
 */
export async function confirmLogout(browser: HttpBrowser, url: string): Promise<PageResponse> {
  const confirmation = await browser.follow(url);
  expect([confirmation.status, isLogoutConfirmation(confirmation)]).toEqual([200, true]);
  return browser.submit(confirmation, {}, { button: { name: 'logout', value: 'yes' } });
}

/**
 * The suite's refusal branch ("the OP must not redirect back and must either show an error
 * screen…"): an error page of sump's (400 unless `status` says otherwise) naming the `reason`, no redirect anywhere and no logout form to submit.
 */
export async function expectLogoutRefused(browser: HttpBrowser, url: string, reason: RegExp, status = 400): Promise<void> {
  // A browser asks for HTML; without that oidc-provider answers its errors in JSON.
  const page = await browser.follow(url, { headers: { accept: BROWSER_ACCEPT } });
  expect([page.status, page.body.match(reason)?.[0]]).toEqual([status, expect.any(String)]);
  expect(page.url).toBe(url);
  expect(page.headers.get('location')).toBeNull();
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(isLogoutConfirmation(page)).toBe(false);
}
