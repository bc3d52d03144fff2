import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_REDIRECT_URI, signupUser, type TestTenant, unique } from '../helpers/fixtures.js';
import { SINGLE_FACTOR_ACR } from '../../src/oidc/provider-config.js';
import { findElement, pageText } from '../helpers/http-browser.js';
import { newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  authorizationParams,
  authorizationUrl,
  callbackOf,
  completeInteraction,
  createTenant,
  environmentWithUser,
  expectCodeResponse,
  expectTokenSuccess,
  redeemCode,
  relyingParty,
  type Rp,
  signIn,
  unsignedRequestObject,
  userinfo,
  verifiedIdToken,
} from './support-basic2.js';
import type { ConformanceUser } from './support.js';

/**
 * The OpenID Foundation's Basic OP plan, modules oidcc-ensure-request-with-unknown-parameter-
 * succeeds … oidcc-ensure-request-object-with-redirect-uri: what each module sends to the
 * authorization endpoint, and what it asserts of the answer (docs/conformance.md). Every
 * successful flow is checked as the suite's AbstractOIDCCServerTest checks it: state and iss
 * of the callback, the code redeemed, the ID token's signature and claims, userinfo answering.
 */

let server: TestServer;
let tenant: TestTenant;
let user: ConformanceUser;
let rp: Rp;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server);
  const environment = await environmentWithUser(server, tenant);
  user = environment.user;
  rp = await relyingParty(server, tenant, environment.environmentId);
});

afterAll(async () => {
  await server?.close();
});

/** The rest of the suite's happy flow after the callback: the code, the tokens, the ID token, userinfo. */
async function finishFlow(callback: URL, authorization: Awaited<ReturnType<typeof authorizationParams>>) {
  const code = expectCodeResponse(rp, callback, authorization.params);
  const tokens = await redeemCode(rp, code, authorization);
  expectTokenSuccess(tokens);
  const idToken = await verifiedIdToken(rp, tokens.body.id_token, authorization.params.nonce);
  const info = await userinfo(rp, tokens.body.access_token);
  expect(info.status).toBe(200);
  expect(info.body.sub).toBe(idToken.sub);
  return { tokens, idToken, userinfo: info.body };
}

/** An error page of sump's (not a redirect to any app): its status and text. */
async function expectErrorPage(url: string, init?: { method: string; form: Record<string, string> }) {
  const answer = await fetch(url, {
    method: init?.method ?? 'GET',
    redirect: 'manual',
    ...(init ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(init.form) } : {}),
  });
  expect(answer.status).toBe(400);
  expect(answer.headers.get('location')).toBeNull();
  expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
  return pageText({ url, status: answer.status, headers: answer.headers, body: await answer.text() });
}

describe('Basic OP: authorization request parameters', () => {
  it('oidcc-ensure-request-with-unknown-parameter-succeeds (OIDCCEnsureRequestWithUnknownParameterSucceeds): extra=foobar is ignored and the flow completes', async () => {
    const authorization = await authorizationParams(rp, { extra: 'foobar' });
    const callback = await signIn(newBrowser(), rp, user, authorization.params);
    expect(callback.searchParams.get('extra')).toBeNull();
    await finishFlow(callback, authorization);
  });

  it('oidcc-id-token-hint (OIDCCIdTokenHint): prompt=none with the first ID token as id_token_hint answers at once, same sub and auth_time', async () => {
    const browser = newBrowser();
    const first = await authorizationParams(rp, { max_age: '3600' });
    const firstFlow = await finishFlow(await signIn(browser, rp, user, first.params), first);

    const second = await authorizationParams(rp, { prompt: 'none', id_token_hint: String(firstFlow.tokens.body.id_token) });
    // No page is shown: the very first answer is the redirect to the app.
    const answer = await browser.request(authorizationUrl(rp, second.params));
    expect(answer.status).toBe(303);
    const callback = new URL(answer.headers.get('location') as string, rp.issuer);
    expect(callback.href.startsWith(DEFAULT_REDIRECT_URI)).toBe(true);
    const secondFlow = await finishFlow(callback, second);

    expect(secondFlow.idToken.sub).toBe(firstFlow.idToken.sub);
    expect(firstFlow.idToken.auth_time).toEqual(expect.any(Number));
    if (secondFlow.idToken.auth_time !== undefined) expect(secondFlow.idToken.auth_time).toBe(firstFlow.idToken.auth_time);
  });

  it('oidcc-id-token-hint, beyond the suite (OIDC Core §3.1.2.2): a hint naming another user than the signed-in one is login_required, not a code', async () => {
    const other = await environmentWithUser(server, tenant);
    const otherRp = await relyingParty(server, tenant, other.environmentId);
    const sameEnvironmentOther = await signupUser(server, otherRp.environmentId);
    // Sign the other user in first, keep their ID token; then sign the first user in, in another browser.
    const theirs = await authorizationParams(otherRp);
    const theirCallback = await signIn(newBrowser(), otherRp, sameEnvironmentOther, theirs.params);
    const theirTokens = await redeemCode(otherRp, expectCodeResponse(otherRp, theirCallback, theirs.params), theirs);
    expectTokenSuccess(theirTokens);

    const browser = newBrowser();
    const mine = await authorizationParams(otherRp);
    await signIn(browser, otherRp, other.user, mine.params);

    const silent = await authorizationParams(otherRp, { prompt: 'none', id_token_hint: String(theirTokens.body.id_token) });
    const answer = await browser.follow(authorizationUrl(otherRp, silent.params));
    const callback = callbackOf(answer);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(silent.params.state);
  });

  it('oidcc-login-hint (OIDCCLoginHint): login_hint fills in the login page (escaped) and the sign-in completes', async () => {
    const hint = `buffy@${new URL(rp.issuer).hostname}`;
    const authorization = await authorizationParams(rp, { login_hint: hint });
    const browser = newBrowser();
    const login = await browser.follow(authorizationUrl(rp, authorization.params));
    expect(login.status).toBe(200);
    expect(findElement(login, 'input[name=identifier]')?.getAttribute('value')).toBe(hint);
    await finishFlow(callbackOf(await completeInteraction(browser, login, user)), authorization);

    // A hint is text in an attribute, never markup.
    const hostile = await authorizationParams(rp, { login_hint: '"><script>alert(1)</script>' });
    const page = await newBrowser().follow(authorizationUrl(rp, hostile.params));
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(findElement(page, 'input[name=identifier]')?.getAttribute('value')).toBe('"><script>alert(1)</script>');
  });

  it('oidcc-ui-locales (OIDCCUiLocales): ui_locales=se is no error (the page falls back to English); pt-BR shows Portuguese', async () => {
    const swedish = await authorizationParams(rp, { ui_locales: 'se' });
    const browser = newBrowser();
    const login = await browser.follow(authorizationUrl(rp, swedish.params));
    expect(login.status).toBe(200);
    expect(findElement(login, 'html')?.getAttribute('lang')).toBe('en');
    await finishFlow(callbackOf(await completeInteraction(browser, login, user)), swedish);

    const portuguese = await authorizationParams(rp, { ui_locales: 'se pt-BR en' });
    const page = await newBrowser().follow(authorizationUrl(rp, portuguese.params));
    expect(page.status).toBe(200);
    expect(findElement(page, 'html')?.getAttribute('lang')).toBe('pt');
    expect(rp.metadata.ui_locales_supported).toEqual(expect.arrayContaining(['en', 'pt']));
  });

  it('oidcc-claims-locales (OIDCCClaimsLocales): claims_locales=se is no error and the flow completes', async () => {
    const authorization = await authorizationParams(rp, { claims_locales: 'se', scope: 'openid profile' });
    const flow = await finishFlow(await signIn(newBrowser(), rp, user, authorization.params), authorization);
    expect(flow.userinfo.name).toBe(user.name);
  });

  it('oidcc-ensure-request-with-acr-values-succeeds (OIDCCEnsureRequestWithAcrValuesSucceeds): acr_values is no error; the ID token says which acr it met', async () => {
    const advertised = rp.metadata.acr_values_supported;
    const acrValues = advertised && advertised.length > 0 ? advertised.join(' ') : '1 2';
    const authorization = await authorizationParams(rp, { acr_values: acrValues });
    const flow = await finishFlow(await signIn(newBrowser(), rp, user, authorization.params), authorization);
    // The suite passes with a warning when no acr comes back; sump names the one it met.
    expect(acrValues.split(' ')).toContain(flow.idToken.acr);
  });

  it('acr beyond the suite (OIDC Core §5.5.1.1): an essential acr sump cannot meet is unmet_authentication_requirements, not a login page again and again', async () => {
    const unmeetable = await authorizationParams(rp, {
      claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:mfa'] } } }),
    });
    const callback = callbackOf(await newBrowser().follow(authorizationUrl(rp, unmeetable.params)));
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(unmeetable.params.state);

    // The one sump meets, asked as essential (by `value` or in `values`), signs in as usual.
    for (const acr of [{ value: SINGLE_FACTOR_ACR }, { values: ['urn:example:mfa', SINGLE_FACTOR_ACR] }]) {
      const meetable = await authorizationParams(rp, { claims: JSON.stringify({ id_token: { acr: { essential: true, ...acr } } }) });
      const flow = await finishFlow(await signIn(newBrowser(), rp, user, meetable.params), meetable);
      expect(flow.idToken.acr).toBe(SINGLE_FACTOR_ACR);
    }
  });

  it('oidcc-claims-essential (OIDCCClaimsEssential): an essential userinfo name claim is in userinfo and not in the ID token', async () => {
    const claims = JSON.stringify({ userinfo: { name: { essential: true } } });
    const authorization = await authorizationParams(rp, { scope: 'openid', claims });
    const flow = await finishFlow(await signIn(newBrowser(), rp, user, authorization.params), authorization);
    expect(flow.userinfo.name).toBe(user.name);
    expect(flow.idToken.name).toBeUndefined();
  });
});

describe('Basic OP: redirect URIs and request methods', () => {
  it('oidcc-ensure-registered-redirect-uri (OIDCCEnsureRegisteredRedirectUri): an unregistered redirect_uri gets an error page, no redirect to it or to the registered one', async () => {
    const bad = `${DEFAULT_REDIRECT_URI}/${unique()}`;
    const authorization = await authorizationParams(rp, { redirect_uri: bad });
    const text = await expectErrorPage(authorizationUrl(rp, authorization.params));
    expect(text).toMatch(/redirect_uri/);
  });

  it('oidcc-ensure-post-request-succeeds (OIDCCEnsurePostRequestSucceeds): the authorization request sent as a form POST completes', async () => {
    const authorization = await authorizationParams(rp);
    const browser = newBrowser();
    const first = await browser.follow(rp.metadata.authorization_endpoint as string, { method: 'POST', form: authorization.params });
    expect(first.status).toBe(200);
    await finishFlow(callbackOf(await completeInteraction(browser, first, user)), authorization);

    // Signed in, a POST with prompt=none is answered from the session: the 303 to the same
    // request by GET is a top-level navigation, which carries the (SameSite=Lax) session cookie.
    const silent = await authorizationParams(rp, { prompt: 'none' });
    const posted = await browser.request(rp.metadata.authorization_endpoint as string, { method: 'POST', form: silent.params });
    expect(posted.status).toBe(303);
    const location = new URL(posted.headers.get('location') as string, rp.issuer);
    expect(location.origin + location.pathname).toBe(rp.metadata.authorization_endpoint);
    await finishFlow(callbackOf(await browser.follow(location.href)), silent);
  });

  it('the end-session endpoint takes POST too (RP-Initiated Logout §2): the same confirmation as by GET', async () => {
    const browser = newBrowser();
    const authorization = await authorizationParams(rp);
    await signIn(browser, rp, user, authorization.params);
    const page = await browser.follow(rp.metadata.end_session_endpoint as string, {
      method: 'POST',
      form: { client_id: rp.client.clientId, state: 'bye' },
    });
    expect(page.status).toBe(200);
    expect(findElement(page, 'button[name=logout][value=yes]')).not.toBeNull();
  });

  it('a POST to the authorization endpoint that is not a form, or is too large, is a 4xx page', async () => {
    const endpoint = rp.metadata.authorization_endpoint as string;
    const json = await fetch(endpoint, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toMatch(/^text\/html/);
    const large = await fetch(endpoint, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${rp.client.clientId}&login_hint=${'a'.repeat(10_000)}`,
    });
    expect(large.status).toBe(413);
    expect(large.headers.get('location')).toBeNull();
    // A compressed or non-UTF-8 form is not read as one (it would be re-sent as a garbled query).
    const oddForms: Record<string, string>[] = [
      { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' },
    ];
    for (const headers of oddForms) {
      const refused = await fetch(endpoint, { method: 'POST', redirect: 'manual', headers, body: `client_id=${rp.client.clientId}` });
      expect([refused.status, refused.headers.get('location')]).toEqual([415, null]);
    }
  });
});

describe('Basic OP: request objects (refused as the spec allows; discovery says so)', () => {
  /** The suite's request object: every parameter inside; response_type, client_id, scope, redirect_uri also outside. */
  async function requestObjectParams(extraOutside: Record<string, string> = {}) {
    const authorization = await authorizationParams(rp);
    const outside = {
      response_type: 'code',
      client_id: rp.client.clientId,
      scope: 'openid',
      redirect_uri: DEFAULT_REDIRECT_URI,
      ...extraOutside,
    };
    const claims = { ...authorization.params, iss: rp.client.clientId, aud: rp.issuer };
    return { authorization, outside, claims };
  }

  it('discovery: request_parameter_supported and request_uri_parameter_supported are false', () => {
    expect(rp.metadata.request_parameter_supported).toBe(false);
    expect(rp.metadata.request_uri_parameter_supported).toBe(false);
    expect(rp.metadata.request_object_signing_alg_values_supported).toBeUndefined();
  });

  it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported (…): request= is request_not_supported at the redirect URI', async () => {
    const { outside, claims } = await requestObjectParams();
    const answer = await newBrowser().follow(authorizationUrl(rp, { ...outside, request: unsignedRequestObject(claims) }));
    const callback = callbackOf(answer);
    expect(callback.origin + callback.pathname).toBe(DEFAULT_REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('request_not_supported');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported (…): request_uri= is request_uri_not_supported, nothing fetched', async () => {
    let fetched = false;
    const listener = createServer((_request, response) => {
      fetched = true;
      response.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end('x');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = listener.address() as { port: number };
      const { outside } = await requestObjectParams();
      const answer = await newBrowser().follow(
        authorizationUrl(rp, { ...outside, request_uri: `http://127.0.0.1:${port}/request.jwt` }),
      );
      const callback = callbackOf(answer);
      expect(callback.searchParams.get('error')).toBe('request_uri_not_supported');
      expect(callback.searchParams.get('code')).toBeNull();
      expect(fetched).toBe(false);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it('oidcc-ensure-request-object-with-redirect-uri (OIDCCEnsureRequestObjectWithRedirectUri): a request object with an invalid outside redirect_uri gets the redirect_uri error page', async () => {
    const { outside, claims } = await requestObjectParams({ redirect_uri: `${DEFAULT_REDIRECT_URI}_invalid` });
    const text = await expectErrorPage(authorizationUrl(rp, { ...outside, request: unsignedRequestObject(claims) }));
    expect(text).toMatch(/redirect_uri/);
  });
});
