import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  createClient,
  createEnvironment,
  createEnvironmentWithSettings,
  signupUser,
  startServerWithTenants,
  type ServerWithTenants,
  type TestClient,
  type TestUser,
} from '../helpers/fixtures.js';
import { findElement, pageText, readForm, type HttpBrowser, type PageResponse } from '../helpers/http-browser.js';
import { discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';

/**
 * The device authorization grant (RFC 8628), as a TV app and its user do it: openid-client 6
 * starts it and polls, the user (a cookie-carrying HTTP client) enters the code on the device
 * page, confirms, signs in, and the device gets the user's tokens.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let ctx: ServerWithTenants;
let user: TestUser;
/** Confidential and first-party: no consent step. */
let tv: TestClient;
/** Public (`none`), not first-party: the user consents. */
let cli: TestClient;
let environmentB: string;

/** The device's openid-client configuration, kept beside the answer it got (a symbol: not JSON). */
const CONFIG = Symbol('config');

interface DeviceStart extends oidc.DeviceAuthorizationResponse {
  readonly [CONFIG]: oidc.Configuration;
}

async function startDevice(client: TestClient, environmentId = ctx.tenant.environmentId, scope = 'openid profile'): Promise<DeviceStart> {
  const config = await discoverClient(ctx.server, environmentId, client);
  const response = await oidc.initiateDeviceAuthorization(config, { scope });
  return { ...response, [CONFIG]: config };
}

/** Polls once the user is done: no wait between polls (the provider's interval is for devices). */
const poll = (device: DeviceStart) => oidc.pollDeviceAuthorizationGrant(device[CONFIG], { ...device, interval: 0 });

/** The device token request once, as a device would send it: the provider's raw answer. */
async function tokenRequest(device: DeviceStart, client: TestClient, environmentId = ctx.tenant.environmentId) {
  const response = await request(ctx.server.url)
    .post(`/oidc/${environmentId}/token`)
    .auth(client.clientId, client.clientSecret ?? '')
    .type('form')
    .send({ grant_type: DEVICE_GRANT, device_code: device.device_code });
  return response;
}

/** The user opens the device page and enters the code: the confirm page. */
async function enterCode(browser: HttpBrowser, verificationUri: string, userCode: string): Promise<PageResponse> {
  const page = await browser.follow(verificationUri);
  expect(page.status).toBe(200);
  return browser.submit(page, { user_code: userCode });
}

/** Code entered and confirmed, then the login page of the interaction it starts. */
async function confirmAndSignIn(browser: HttpBrowser, device: DeviceStart): Promise<PageResponse> {
  const confirm = await enterCode(browser, device.verification_uri, device.user_code);
  expect(confirm.status).toBe(200);
  const login = await browser.submit(confirm, {}, { button: { name: 'confirm', value: 'yes' } });
  expect(login.status).toBe(200);
  expect(login.url).toMatch(new RegExp(`/oidc/${ctx.tenant.environmentId}/interaction/[^/]+$`));
  return browser.submit(login, { identifier: user.email, password: user.password });
}

beforeAll(async () => {
  ctx = await startServerWithTenants();
  user = await signupUser(ctx.server, ctx.tenant.environmentId);
  tv = await createClient(ctx.server, ctx.tenant, {
    name: 'Living room TV',
    redirectUris: [],
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    firstParty: true,
  });
  cli = await createClient(ctx.server, ctx.tenant, {
    name: 'Command line',
    redirectUris: [],
    grantTypes: [DEVICE_GRANT],
    tokenEndpointAuthMethod: 'none',
  });
  environmentB = (await createEnvironment(ctx.server, ctx.tenant)).id;
});

afterAll(async () => {
  await ctx?.server.close();
});

describe('device clients (the client API)', () => {
  it('registers the device grant without a redirect URI, public or confidential, with refresh_token', () => {
    expect(tv).toMatchObject({ grantTypes: [DEVICE_GRANT, 'refresh_token'], redirectUris: [], clientSecret: expect.any(String) });
    expect(cli).toMatchObject({ grantTypes: [DEVICE_GRANT], tokenEndpointAuthMethod: 'none' });
    expect(cli.clientSecret).toBeUndefined();
  });

  it('still refuses refresh_token without a grant that signs a user in', async () => {
    const response = await request(ctx.server.url)
      .post(`/api/v1/environments/${ctx.tenant.environmentId}/clients`)
      .set('Cookie', ctx.tenant.cookie)
      .send({ name: 'Refresh only', grantTypes: ['refresh_token'] });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'grantTypes', message: expect.stringContaining('device_code') }]);
  });

  it('publishes the device endpoint and grant in discovery', async () => {
    const metadata = (await discoverClient(ctx.server, ctx.tenant.environmentId, tv)).serverMetadata();
    expect(metadata.device_authorization_endpoint).toBe(`${issuerOf(ctx.server, ctx.tenant.environmentId)}/device/auth`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });
});

describe('the device authorization grant', () => {
  it('signs the user in on the device: code, confirm, login → tokens whose ID token names the user', async () => {
    const device = await startDevice(tv, ctx.tenant.environmentId, 'openid profile offline_access');
    expect(device.verification_uri).toBe(`${issuerOf(ctx.server, ctx.tenant.environmentId)}/device`);
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);

    // Before the user is done, the device hears "pending".
    const pending = await tokenRequest(device, tv);
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ error: 'authorization_pending' });

    const browser = newBrowser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    expect(pageText(confirm)).toContain('Living room TV');
    expect(pageText(confirm)).toContain(device.user_code);
    const done = await browser.submit(
      await browser.submit(confirm, {}, { button: { name: 'confirm', value: 'yes' } }),
      { identifier: user.email, password: user.password },
    );
    expect(done.status).toBe(200);
    expect(pageText(done)).toContain('Your device is signed in');
    expect(pageText(done)).toContain('Living room TV');

    const tokens = await poll(device);
    expect(tokens.claims()).toMatchObject({ sub: user.accountId, aud: tv.clientId, iss: issuerOf(ctx.server, ctx.tenant.environmentId) });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const userinfo = await oidc.fetchUserInfo(device[CONFIG], tokens.access_token, user.accountId);
    expect(userinfo).toMatchObject({ sub: user.accountId, name: user.name });

    // The code is used up: entering it again says so, and the device cannot redeem it twice.
    const again = await enterCode(newBrowser(), device.verification_uri, device.user_code);
    expect(again.status).toBe(400);
    expect(pageText(again)).toContain('was used already');
    await expect(poll(device)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('answers one of several polls racing after the user is done with tokens, the others invalid_grant', async () => {
    const device = await startDevice(tv);
    const done = await confirmAndSignIn(newBrowser(), device);
    expect(pageText(done)).toContain('Your device is signed in');
    const answers = await Promise.all([1, 2, 3, 4].map(() => tokenRequest(device, tv)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.error === 'invalid_grant')).toHaveLength(3);
  });

  it('asks a public, third-party client’s user for consent, then signs the device in', async () => {
    const device = await startDevice(cli);
    const browser = newBrowser();
    const consent = await confirmAndSignIn(browser, device);
    expect(consent.status).toBe(200);
    expect(pageText(consent)).toContain('Command line');
    expect(findElement(consent, 'button[name=decision][value=allow]')).not.toBeNull();
    const done = await browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
    expect(pageText(done)).toContain('Your device is signed in');
    const tokens = await poll(device);
    expect(tokens.claims()?.sub).toBe(user.accountId);
  });

  it('answers the device access_denied when the user denies consent', async () => {
    const device = await startDevice(cli);
    const browser = newBrowser();
    const consent = await confirmAndSignIn(browser, device);
    const denied = await browser.submit(consent, {}, { button: { name: 'decision', value: 'deny' } });
    expect(denied.status).toBe(200);
    expect(pageText(denied)).toContain('Sign-in cancelled');
    await expect(poll(device)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('answers the device access_denied when the user aborts on the confirm page', async () => {
    const device = await startDevice(tv);
    const browser = newBrowser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    const aborted = await browser.submit(confirm, {}, { button: { name: 'abort', value: 'yes' } });
    expect(aborted.status).toBe(200);
    expect(pageText(aborted)).toContain('Sign-in cancelled');
    await expect(poll(device)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('opens verification_uri_complete with the code filled in, on sump’s own form (no auto-posting script)', async () => {
    const device = await startDevice(tv);
    expect(device.verification_uri_complete).toBe(`${device.verification_uri}?user_code=${encodeURIComponent(device.user_code)}`);
    const browser = newBrowser();
    const page = await browser.follow(device.verification_uri_complete as string);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script');
    expect(findElement(page, 'input[name=user_code]')?.getAttribute('value')).toBe(device.user_code);
    const confirm = await browser.submit(page, {});
    expect(findElement(confirm, 'button[name=confirm]')).not.toBeNull();
    expect(pageText(confirm)).toContain(device.user_code);
  });

  it('says a wrong code is not right, with the form again, and grants nothing', async () => {
    const device = await startDevice(tv);
    const browser = newBrowser();
    const wrong = await enterCode(browser, device.verification_uri, 'BCDF-GHJK');
    expect(wrong.status).toBe(400);
    expect(pageText(wrong)).toContain('That code is not right');
    expect(findElement(wrong, 'input[name=user_code][aria-invalid=true]')?.getAttribute('value')).toBe('BCDF-GHJK');
    expect(findElement(wrong, 'p.error[role=alert]')).not.toBeNull();
    // An empty form asks for the code.
    const empty = await browser.submit(wrong, { user_code: '' });
    expect(empty.status).toBe(400);
    expect(findElement(empty, 'p.error[role=alert]')?.textContent).toContain('The code is missing');
    const pending = await tokenRequest(device, tv);
    expect(pending.body).toMatchObject({ error: 'authorization_pending' });
  });

  it('shows an expired code as not right (a clear 400 page, never a 500)', async () => {
    const device = await startDevice(tv);
    await ctx.server
      .db('oidc_artifacts')
      .where({ environment_id: ctx.tenant.environmentId, model: 'DeviceCode' })
      .whereNotNull('user_code_hash')
      .update({ expires_at: new Date(Date.now() - 1000) });
    const page = await enterCode(newBrowser(), device.verification_uri, device.user_code);
    expect(page.status).toBe(400);
    expect(pageText(page)).toContain('has expired');
  });

  it('refuses a form posted without this browser’s device page session (403, never a 500)', async () => {
    const device = await startDevice(tv);
    const page = await newBrowser().follow(device.verification_uri);
    const { action, fields } = readForm(page);
    const forged = await newBrowser().follow(action, { method: 'POST', form: { ...fields, user_code: device.user_code } });
    expect(forged.status).toBe(403);
    expect(pageText(forged)).toContain('The form expired');
    expect((await tokenRequest(device, tv)).body).toMatchObject({ error: 'authorization_pending' });
  });

  it('refuses a form with another xsrf value (403, the form again with a fresh one)', async () => {
    const device = await startDevice(tv);
    const browser = newBrowser();
    const page = await browser.follow(device.verification_uri);
    const refused = await browser.submit(page, { user_code: device.user_code, xsrf: 'not-the-one' });
    expect(refused.status).toBe(403);
    expect(pageText(refused)).toContain('The form expired');
    const confirm = await browser.submit(refused, { user_code: device.user_code });
    expect(findElement(confirm, 'button[name=confirm]')).not.toBeNull();
  });

  it('refuses a code of environment A entered on environment B’s page', async () => {
    const device = await startDevice(tv);
    const atB = await enterCode(newBrowser(), `${issuerOf(ctx.server, environmentB)}/device`, device.user_code);
    expect(atB.status).toBe(400);
    expect(pageText(atB)).toContain('That code is not right');
    expect(findElement(atB, 'button[name=confirm]')).toBeNull();
    expect((await tokenRequest(device, tv)).body).toMatchObject({ error: 'authorization_pending' });
  });

  it('refuses the grant to a client that was not registered for it (unauthorized_client)', async () => {
    const webApp = await createClient(ctx.server, ctx.tenant);
    const config = await discoverClient(ctx.server, ctx.tenant.environmentId, webApp);
    await expect(oidc.initiateDeviceAuthorization(config, { scope: 'openid' })).rejects.toMatchObject({
      error: 'unauthorized_client',
    });
  });

  it('answers the device authorization endpoint in JSON, never cached, errors included', async () => {
    const issued = await request(ctx.server.url)
      .post(`/oidc/${ctx.tenant.environmentId}/device/auth`)
      .auth(tv.clientId, tv.clientSecret as string)
      .type('form')
      .send({ scope: 'openid' });
    expect(issued.status).toBe(200);
    expect(issued.headers['cache-control']).toBe('no-store');
    expect(issued.body).toMatchObject({ device_code: expect.any(String), user_code: expect.any(String), expires_in: 600 });

    const unknown = await request(ctx.server.url)
      .post(`/oidc/${ctx.tenant.environmentId}/device/auth`)
      .type('form')
      .send({ client_id: 'no-such-client-0123456789', scope: 'openid' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: 'invalid_client' });

    const noIssuer = await request(ctx.server.url).post(`/oidc/${crypto.randomUUID()}/device/auth`).type('form').send({});
    expect(noIssuer.status).toBe(404);
    expect(noIssuer.body).toMatchObject({ error: 'invalid_request' });
  });

  it('serves the device page under the strict CSP, with DESIGN.md’s field names', async () => {
    const device = await startDevice(tv);
    const browser = newBrowser();
    const page = await browser.follow(device.verification_uri);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).not.toMatch(/<script|<style|style=|onfocus=/);
    expect(findElement(page, 'form input[name=user_code]')).not.toBeNull();
    expect(findElement(page, 'form input[type=hidden][name=xsrf]')).not.toBeNull();
    expect(findElement(page, 'link[rel=stylesheet][href="/assets/sump.css"]')).not.toBeNull();

    const confirm = await browser.submit(page, { user_code: device.user_code });
    expect(confirm.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(confirm.body).not.toMatch(/<script|<style|style=/);
    expect(findElement(confirm, 'button[type=submit][name=confirm]')).not.toBeNull();
    expect(findElement(confirm, 'button[type=submit][name=abort]')).not.toBeNull();
    expect(findElement(confirm, 'input[type=hidden][name=user_code]')?.getAttribute('value')).toBe(device.user_code);
  });

  it('speaks the browser’s language, or the device request’s ui_locales once the code is known', async () => {
    const device = await startDevice(tv);
    const portuguese = { 'accept-language': 'pt-BR,pt;q=0.9' };
    const browser = newBrowser();
    const page = await browser.follow(device.verification_uri, { headers: portuguese });
    expect(page.body).toContain('<html lang="pt">');
    expect(pageText(page)).toContain('Introduza o código que o seu dispositivo mostra');
    const { action, fields } = readForm(page);
    const confirm = await browser.follow(action, { method: 'POST', form: { ...fields, user_code: device.user_code }, headers: portuguese });
    expect(pageText(confirm)).toContain('Confirmar o dispositivo');

    // The device asked for Portuguese: the confirm page follows it whatever the browser says.
    const config = await discoverClient(ctx.server, ctx.tenant.environmentId, tv);
    const asked = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', ui_locales: 'pt' });
    const englishBrowser = newBrowser();
    const english = await englishBrowser.follow(asked.verification_uri, { headers: { 'accept-language': 'en' } });
    expect(english.body).toContain('<html lang="en">');
    const followed = await englishBrowser.submit(english, { user_code: asked.user_code });
    expect(followed.body).toContain('<html lang="pt">');
    expect(pageText(followed)).toContain('Confirmar o dispositivo');
  });
});

describe('the user code’s attempts', () => {
  it('refuses every code with 429 and Retry-After once an address has entered too many wrong ones', async () => {
    const environmentId = await createEnvironmentWithSettings(ctx.server, ctx.tenant, { rateLimits: { deviceCodesPerAddress: 3 } });
    const client = await createClient(ctx.server, ctx.tenant, { redirectUris: [], grantTypes: [DEVICE_GRANT] }, environmentId);
    const device = await startDevice(client, environmentId);
    const browser = newBrowser();
    let page = await browser.follow(device.verification_uri);
    const statuses: number[] = [];
    for (const guess of ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD']) {
      page = await browser.submit(page, { user_code: guess });
      statuses.push(page.status);
    }
    expect(statuses).toEqual([400, 400, 400]);
    // The right code now waits too: otherwise guessing would go on until it hit.
    const blocked = await browser.submit(page, { user_code: device.user_code });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(pageText(blocked)).toContain('Too many attempts');
    expect((await tokenRequest(device, client, environmentId)).body).toMatchObject({ error: 'authorization_pending' });
  });

  it('counts wrong codes in all of the environment too, whatever the address', async () => {
    const environmentId = await createEnvironmentWithSettings(ctx.server, ctx.tenant, {
      rateLimits: { deviceCodesPerEnvironment: 2, deviceCodesPerAddress: 100 },
    });
    const client = await createClient(ctx.server, ctx.tenant, { redirectUris: [], grantTypes: [DEVICE_GRANT] }, environmentId);
    const device = await startDevice(client, environmentId);
    const statuses: number[] = [];
    for (const guess of ['BBBB-BBBB', 'CCCC-CCCC', device.user_code]) {
      statuses.push((await enterCode(newBrowser(), device.verification_uri, guess)).status);
    }
    expect(statuses).toEqual([400, 400, 429]);
  });

  it('does not count right codes', async () => {
    const environmentId = await createEnvironmentWithSettings(ctx.server, ctx.tenant, { rateLimits: { deviceCodesPerAddress: 1 } });
    const client = await createClient(ctx.server, ctx.tenant, { redirectUris: [], grantTypes: [DEVICE_GRANT] }, environmentId);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const device = await startDevice(client, environmentId);
      const confirm = await enterCode(newBrowser(), device.verification_uri, device.user_code);
      expect(confirm.status).toBe(200);
      expect(findElement(confirm, 'button[name=confirm]')).not.toBeNull();
    }
  });
});
