import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { findElement, HttpBrowser } from '../helpers/http-browser.js';
import {
  authorizationRequest,
  newEnvironment,
  registerClient,
  REDIRECT_URI,
  startConformance,
  tokenRequest,
  type Conformance,
  type ConformanceClient,
  type ConformanceEnvironment,
} from './support.js';
import { BROWSER_ACCEPT } from './support-config-logout.js';

/**
 * Redirect URIs (issue 5 item 2), as the suite's redirect-URI modules check them
 * (oidcc-ensure-registered-redirect-uri in the Basic plan; oidcc-redirect-uri-query-OK,
 * -query-added, -query-mismatch and -regfrag in the Dynamic plan, whose registration step sump
 * does through its admin API instead): the authorization endpoint compares the redirect_uri
 * with the registered ones as exact strings; registration refuses what could widen that; and a
 * native client's loopback redirect may come back on any port (RFC 8252 §7.3), a web client's
 * never.
 */

let conformance: Conformance;
let environment: ConformanceEnvironment;

beforeAll(async () => {
  conformance = await startConformance();
  environment = await newEnvironment(conformance);
});

afterAll(async () => {
  await conformance?.close();
});

/** The browser's answer to an authorization request with this redirect_uri, not followed. */
async function authorizationAnswer(client: ConformanceClient, redirectUri: string) {
  const { url } = await authorizationRequest(client, { params: { redirect_uri: redirectUri } });
  const answer = await fetch(url, { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
  return { status: answer.status, location: answer.headers.get('location'), type: answer.headers.get('content-type'), body: await answer.text() };
}

/** sump's error page, naming redirect_uri, and no redirect: not to the URI asked for, not to a registered one. */
async function expectRefused(client: ConformanceClient, redirectUri: string): Promise<void> {
  const answer = await authorizationAnswer(client, redirectUri);
  expect([redirectUri, answer.status, answer.location]).toEqual([redirectUri, 400, null]);
  expect(answer.type).toMatch(/^text\/html/);
  expect(answer.body).toContain('redirect_uri');
}

/**
 * A whole sign-in whose redirect comes back to `redirectUri` (a browser that stops there), then
 * the code redeemed with that same redirect_uri. Answers the token endpoint's status.
 */
async function signInVia(client: ConformanceClient, redirectUri: string): Promise<{ callback: URL; tokenStatus: number }> {
  const browser = new HttpBrowser((url) => url.startsWith(redirectUri));
  const start = await authorizationRequest(client, { params: { redirect_uri: redirectUri } });
  let page = await browser.follow(start.url.href);
  if (findElement(page, 'input[name=password]')) {
    page = await browser.submit(page, { identifier: environment.user.email, password: environment.user.password });
  }
  if (findElement(page, 'button[name=decision]')) page = await browser.submit(page, {}, { button: { name: 'decision', value: 'allow' } });
  const callback = new URL(page.url);
  expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri.split('?')[0]);
  expect(callback.searchParams.get('state')).toBe(start.state);
  const code = callback.searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  const tokens = await tokenRequest(client, {
    grant_type: 'authorization_code',
    code: code as string,
    redirect_uri: redirectUri,
    ...(start.verifier ? { code_verifier: start.verifier } : {}),
  });
  return { callback, tokenStatus: tokens.status };
}

describe('the authorization endpoint compares redirect URIs exactly', () => {
  let client: ConformanceClient;
  beforeAll(async () => {
    client = await registerClient(environment, 'client_secret_basic', { firstParty: true });
  });

  it('oidcc-ensure-registered-redirect-uri, every near miss: a trailing slash, other case in the path, an added query, another port, host or scheme, a fragment: the error page, no redirect', async () => {
    for (const uri of [
      `${REDIRECT_URI}/`,
      REDIRECT_URI.replace('/callback', '/Callback'),
      `${REDIRECT_URI}?extra=1`,
      REDIRECT_URI.replace(':7777', ':7778'),
      REDIRECT_URI.replace('localhost', '127.0.0.1'),
      REDIRECT_URI.replace('http:', 'https:'),
      `${REDIRECT_URI}#fragment`,
      REDIRECT_URI.replace('http://localhost:7777', 'http://localhost:7777@evil.example'),
    ]) {
      await expectRefused(client, uri);
    }
  });

  it('and the registered URI itself signs in (the control of the test above)', async () => {
    const { tokenStatus } = await signInVia(client, REDIRECT_URI);
    expect(tokenStatus).toBe(200);
  });

  it('oidcc-redirect-uri-query-OK, -query-added, -query-mismatch: a URI registered with a query matches only with exactly that query', async () => {
    const withQuery = `${REDIRECT_URI}?tenant=a`;
    const queried = await registerClient(environment, 'client_secret_basic', { firstParty: true, redirectUris: [withQuery] });
    const { callback, tokenStatus } = await signInVia(queried, withQuery);
    expect(callback.searchParams.get('tenant')).toBe('a');
    expect(tokenStatus).toBe(200);
    for (const uri of [`${withQuery}&extra=1`, `${REDIRECT_URI}?tenant=b`, REDIRECT_URI]) await expectRefused(queried, uri);
  });

  it('the token endpoint wants the redirect_uri of the authorization request, exactly', async () => {
    const start = await authorizationRequest(client);
    const browser = new HttpBrowser((url) => url.startsWith(REDIRECT_URI));
    let page = await browser.follow(start.url.href);
    page = await browser.submit(page, { identifier: environment.user.email, password: environment.user.password });
    const code = new URL(page.url).searchParams.get('code') as string;
    const answer = await tokenRequest(client, { grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT_URI}/` });
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
  });
});

describe('registration refuses redirect URIs that would widen the comparison', () => {
  const register = (body: Record<string, unknown>) =>
    request(conformance.server.url)
      .post(`/api/v1/environments/${environment.environmentId}/clients`)
      .set('Cookie', conformance.tenant.cookie)
      .send({ name: 'Redirect rules', ...body });

  it.each([
    ['oidcc-redirect-uri-regfrag: a fragment', 'web', 'https://app.example.com/cb#frag'],
    ['a wildcard in the path', 'web', 'https://app.example.com/*'],
    ['a wildcard in the host', 'web', 'https://*.example.com/cb'],
    ['user information', 'web', 'https://app.example.com@evil.example/cb'],
    ['an ftp URI for a web client', 'web', 'ftp://app.example.com/cb'],
    ['a data URI for a web client', 'web', 'data:text/html,hi'],
    ['plain http on a look-alike of localhost', 'web', 'http://localhost.evil.example/cb'],
    ['plain http on a public address', 'web', 'http://203.0.113.7/cb'],
    ['a relative path', 'native', 'callback'],
  ])('refuses %s (400, naming the field)', async (_what, applicationType, uri) => {
    const answer = await register({ applicationType, redirectUris: [uri] });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'redirectUris[0]' })]));
  });
});

describe('loopback redirect URIs of native clients may use any port (RFC 8252 §7.3)', () => {
  const REGISTERED = 'http://127.0.0.1/callback';

  it('a native public client registered with http://127.0.0.1/callback signs in through an ephemeral port and redeems its code there', async () => {
    const native = await registerClient(environment, 'none', { applicationType: 'native', redirectUris: [REGISTERED], postLogoutRedirectUris: [] });
    for (const port of [54321, 61000]) {
      const { callback, tokenStatus } = await signInVia(native, `http://127.0.0.1:${port}/callback`);
      expect(callback.port).toBe(String(port));
      expect(tokenStatus).toBe(200);
    }
    // Only the port is free: the path, the host and the scheme still compare exactly.
    for (const uri of ['http://127.0.0.1:54321/other', 'http://localhost:54321/callback', 'http://[::1]:54321/callback']) {
      await expectRefused(native, uri);
    }
  });

  it('a web client registered with the same URI may not change the port', async () => {
    const web = await registerClient(environment, 'client_secret_basic', { redirectUris: [REGISTERED], postLogoutRedirectUris: [] });
    await expectRefused(web, 'http://127.0.0.1:54321/callback');
    const { tokenStatus } = await signInVia(web, REGISTERED);
    expect(tokenStatus).toBe(200);
  });
});
