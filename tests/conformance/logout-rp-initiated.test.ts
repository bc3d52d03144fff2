import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import {
  authorize,
  expectAuthorizationError,
  newEnvironment,
  POST_LOGOUT_REDIRECT_URI,
  registerClient,
  serverJwks,
  signInAndRedeem,
  startConformance,
  type Conformance,
  type ConformanceClient,
  type ConformanceEnvironment,
  type SignedIn,
} from './support.js';
import { confirmLogout, endSessionUrl, expectLogoutRefused, isLogoutConfirmation, startReceiver, type Receiver } from './support-config-logout.js';

/**
 * The RP-Initiated Logout OP plan (oidcc-rp-initiated-logout-certification-test-plan) and the
 * back-channel one (oidcc-backchannel-rp-initiated-logout-certification-test-plan). Every module
 * signs the user in with the suite's client (which registered POST_LOGOUT_REDIRECT_URI), then
 * sends the browser to the end_session_endpoint with the module's parameters. sump always shows
 * its confirmation page (the tester clicks "sign out"); where the module expects the OP to refuse,
 * sump shows a 400 error page and never redirects. Modules that end the session then check, as
 * the suite does, that a prompt=none request answers an error that needs a user interface.
 */

let conformance: Conformance;
let environment: ConformanceEnvironment;
let client: ConformanceClient;

beforeAll(async () => {
  conformance = await startConformance();
  environment = await newEnvironment(conformance);
  client = await registerClient(environment, 'client_secret_basic');
});

afterAll(async () => {
  await conformance?.close();
});

/** The suite's end_session state: CreateRandomEndSessionState (here the long form, 128 characters). */
const endSessionState = () => randomBytes(96).toString('base64url');

const endSession = (params: Record<string, string | undefined>) =>
  endSessionUrl(environment.metadata.end_session_endpoint as string, params);

/** The second authorization of the abstract module: prompt=none must say the user is signed out. */
async function expectSignedOut(signedIn: SignedIn): Promise<void> {
  const silent = await authorize(client, { browser: signedIn.browser, params: { prompt: 'none' } });
  const error = expectAuthorizationError(environment, silent.answer, silent.request.state);
  // CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface
  expect(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']).toContain(error);
}

/** After a refusal the user is still signed in: prompt=none is answered with a code. */
async function expectStillSignedIn(signedIn: SignedIn): Promise<void> {
  const silent = await authorize(client, { browser: signedIn.browser, params: { prompt: 'none' } });
  expect(silent.answer?.get('code')).toEqual(expect.any(String));
}

describe('RP-Initiated Logout plan: discovery', () => {
  it('oidcc-rp-initiated-logout-discovery-endpoint-verification (OIDCCRpInitiatedLogoutDiscoveryEndpointVerification): the discovery checks, and end_session_endpoint is a URL of the issuer that answers', async () => {
    const { metadata } = environment;
    expect(metadata.end_session_endpoint).toBe(`${environment.issuer}/session/end`);
    const page = await fetch(metadata.end_session_endpoint as string);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('RP-Initiated Logout plan: the OP logs the user out and returns', () => {
  it('oidcc-rp-initiated-logout (OIDCCRpInitiatedLogout): id_token_hint, post_logout_redirect_uri and state; back to the registered URI with the state unchanged; then prompt=none is login_required', async () => {
    const signedIn = await signInAndRedeem(client);
    const state = endSessionState();
    const done = await confirmLogout(
      signedIn.browser,
      endSession({ id_token_hint: signedIn.tokens.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state }),
    );
    expect(done.status).toBe(303);
    const back = new URL(done.url);
    expect(`${back.origin}${back.pathname}`).toBe(POST_LOGOUT_REDIRECT_URI);
    expect([...back.searchParams]).toEqual([['state', state]]);
    await expectSignedOut(signedIn);
  });

  it('oidcc-rp-initiated-logout-no-state (OIDCCRpInitiatedLogoutNoState): without state, back to the registered URI with no state at all; then signed out', async () => {
    const signedIn = await signInAndRedeem(client);
    const done = await confirmLogout(
      signedIn.browser,
      endSession({ id_token_hint: signedIn.tokens.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI }),
    );
    expect(done.url).toBe(POST_LOGOUT_REDIRECT_URI);
    await expectSignedOut(signedIn);
  });

  it('oidcc-rp-initiated-logout, beyond the suite: client_id instead of id_token_hint identifies the client (RP-Initiated Logout §2); the registered URI and the state are honoured', async () => {
    const signedIn = await signInAndRedeem(client);
    const state = endSessionState();
    const done = await confirmLogout(signedIn.browser, endSession({ client_id: client.clientId, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state }));
    expect(done.url).toBe(`${POST_LOGOUT_REDIRECT_URI}?state=${state}`);
    await expectSignedOut(signedIn);
  });
});

describe('RP-Initiated Logout plan: the OP logs the user out and stays', () => {
  it('oidcc-rp-initiated-logout-no-params (OIDCCRpInitiatedLogoutNoParams): no parameters: the confirmation, then the signed-out page, never the registered URI; then signed out', async () => {
    const signedIn = await signInAndRedeem(client);
    const done = await confirmLogout(signedIn.browser, endSession({}));
    expect(done.status).toBe(200);
    expect(done.url.startsWith(environment.issuer)).toBe(true);
    expect(done.body).toContain('signed out');
    await expectSignedOut(signedIn);
  });

  it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri (OIDCCRpInitiatedLogoutNoPostLogoutRedirectUri): id_token_hint and state only: the signed-out page, no redirect; then signed out', async () => {
    const signedIn = await signInAndRedeem(client);
    const done = await confirmLogout(signedIn.browser, endSession({ id_token_hint: signedIn.tokens.id_token, state: endSessionState() }));
    expect(done.status).toBe(200);
    expect(done.url.startsWith(environment.issuer)).toBe(true);
    expect(done.body).toContain('signed out');
    await expectSignedOut(signedIn);
  });

  it('oidcc-rp-initiated-logout-only-state (OIDCCRpInitiatedLogoutOnlyState): only a state: the signed-out page, the registered URI is never called; then signed out', async () => {
    const signedIn = await signInAndRedeem(client);
    const done = await confirmLogout(signedIn.browser, endSession({ state: endSessionState() }));
    expect(done.status).toBe(200);
    expect(done.url.startsWith(environment.issuer)).toBe(true);
    expect(done.body).toContain('signed out');
    await expectSignedOut(signedIn);
  });
});

describe('RP-Initiated Logout plan: the OP refuses and does not redirect', () => {
  it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri (OIDCCRpInitiatedLogoutBadLogoutRedirectUri): an unregistered post_logout_redirect_uri, or one that differs by a slash, case, port or path, is an error page with no redirect; the user stays signed in', async () => {
    const signedIn = await signInAndRedeem(client);
    for (const uri of [
      `${POST_LOGOUT_REDIRECT_URI}/bad`,
      `${POST_LOGOUT_REDIRECT_URI}/`,
      POST_LOGOUT_REDIRECT_URI.replace('signed-out', 'Signed-Out'),
      POST_LOGOUT_REDIRECT_URI.replace(':7777', ':7778'),
      'https://evil.example/signed-out',
    ]) {
      await expectLogoutRefused(
        signedIn.browser,
        endSession({ id_token_hint: signedIn.tokens.id_token, post_logout_redirect_uri: uri, state: endSessionState() }),
        /post_logout_redirect_uri not registered/,
      );
    }
    await expectStillSignedIn(signedIn);
  });

  it('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri (OIDCCRpInitiatedLogoutQueryAddedToLogoutRedirectUri): the registered URI with ?foo=bar added is an error page with no redirect', async () => {
    const signedIn = await signInAndRedeem(client);
    await expectLogoutRefused(
      signedIn.browser,
      endSession({ id_token_hint: signedIn.tokens.id_token, post_logout_redirect_uri: `${POST_LOGOUT_REDIRECT_URI}?foo=bar`, state: endSessionState() }),
      /post_logout_redirect_uri not registered/,
    );
    await expectStillSignedIn(signedIn);
  });

  it('oidcc-rp-initiated-logout-no-id-token-hint (OIDCCRpInitiatedLogoutNoIdTokenHint): post_logout_redirect_uri and state with neither id_token_hint nor client_id: the OP asks the user to confirm, then shows its signed-out page and never calls the registered URI', async () => {
    const signedIn = await signInAndRedeem(client);
    const done = await confirmLogout(signedIn.browser, endSession({ post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: endSessionState() }));
    expect(done.status).toBe(200);
    expect(done.url.startsWith(environment.issuer)).toBe(true);
    expect(done.body).toContain('signed out');
    await expectSignedOut(signedIn);
  });

  it('oidcc-rp-initiated-logout-modified-id-token-hint (OIDCCRpInitiatedLogoutModifiedIdTokenHint): the ID token changed to alg none (signature dropped) is an error page with no redirect', async () => {
    const signedIn = await signInAndRedeem(client);
    const [, payload] = signedIn.tokens.id_token.split('.');
    const header = Buffer.from(JSON.stringify({ ...decodeProtectedHeader(signedIn.tokens.id_token), alg: 'none' })).toString('base64url');
    await expectLogoutRefused(
      signedIn.browser,
      endSession({ id_token_hint: `${header}.${payload}.`, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: endSessionState() }),
      /could not validate id_token_hint/,
    );
    await expectStillSignedIn(signedIn);
  });

  it('oidcc-rp-initiated-logout-bad-id-token-hint (OIDCCRpInitiatedLogoutBadIdTokenHint): an id_token_hint with the right claims signed by a key the OP never published is an error page with no redirect', async () => {
    const signedIn = await signInAndRedeem(client);
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n?.slice(0, 16);
    const forged = await new SignJWT({ ...signedIn.idToken.claims })
      .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
      .sign(privateKey);
    await expectLogoutRefused(
      signedIn.browser,
      endSession({ id_token_hint: forged, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: endSessionState() }),
      /could not validate id_token_hint/,
    );
    await expectStillSignedIn(signedIn);
  });

  it('oidcc-rp-initiated-logout-bad-id-token-hint, beyond the suite: a real ID token of another environment, or of another client than the client_id given, is refused with no redirect', async () => {
    const signedIn = await signInAndRedeem(client);
    const elsewhere = await newEnvironment(conformance);
    const foreignClient = await registerClient(elsewhere, 'client_secret_basic');
    const foreign = await signInAndRedeem(foreignClient);
    await expectLogoutRefused(
      signedIn.browser,
      endSession({ id_token_hint: foreign.tokens.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI }),
      /unrecognized id_token_hint audience/,
    );
    const sibling = await registerClient(environment, 'client_secret_basic');
    await expectLogoutRefused(
      signedIn.browser,
      endSession({ id_token_hint: signedIn.tokens.id_token, client_id: sibling.clientId, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI }),
      /client_id does not match the provided id_token_hint/,
    );
    await expectStillSignedIn(signedIn);
  });
});

describe('Back-channel RP-Initiated Logout plan', () => {
  let receiver: Receiver;
  let backchannelClient: ConformanceClient;

  beforeAll(async () => {
    receiver = await startReceiver();
    backchannelClient = await registerClient(environment, 'client_secret_basic', { backchannelLogoutUri: `${receiver.url}/backchannel_logout` });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('oidcc-backchannel-logout-discovery-endpoint-verification (OIDCCBackChannelLogoutDiscoveryEndpointVerification): backchannel_logout_supported and backchannel_logout_session_supported are true', () => {
    expect(environment.metadata.backchannel_logout_supported).toBe(true);
    expect(environment.metadata.backchannel_logout_session_supported).toBe(true);
  });

  it('oidcc-backchannel-rp-initiated-logout (OIDCCBackChannelRpInitiatedLogout): the OP POSTs a logout token signed with a published key (iss, aud, iat, jti, sid, sub, the event, no nonce) to the registered URI, returns to post_logout_redirect_uri, and the user is signed out', async () => {
    const signedIn = await signInAndRedeem(backchannelClient);
    const sid = signedIn.idToken.claims.sid;
    expect(sid).toEqual(expect.any(String));
    const state = endSessionState();
    const done = await confirmLogout(
      signedIn.browser,
      endSession({ id_token_hint: signedIn.tokens.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state }),
    );
    expect(done.url).toBe(`${POST_LOGOUT_REDIRECT_URI}?state=${state}`);

    expect(receiver.hits.map(({ path, method }) => [method, path])).toEqual([['POST', '/backchannel_logout']]);
    const [hit] = receiver.hits;
    expect(hit?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(hit?.body);
    expect([...form.keys()]).toEqual(['logout_token']);
    const logoutToken = form.get('logout_token') as string;

    const header = decodeProtectedHeader(logoutToken);
    const jwks = await serverJwks(environment);
    expect(header.alg).not.toBe('none');
    expect(header.typ).toBe('logout+jwt');
    expect(jwks.keys.filter((key) => key.kid === header.kid)).toHaveLength(1);
    const { payload } = await jwtVerify(logoutToken, createLocalJWKSet(jwks), {
      issuer: environment.issuer,
      audience: backchannelClient.clientId,
      typ: 'logout+jwt',
    });
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs((payload.iat as number) - now)).toBeLessThanOrEqual(300);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.sid).toBe(sid);
    expect(payload.sub).toBe(signedIn.idToken.claims.sub);
    expect(payload).not.toHaveProperty('nonce');

    const silent = await authorize(backchannelClient, { browser: signedIn.browser, params: { prompt: 'none' } });
    expect(expectAuthorizationError(environment, silent.answer, silent.request.state)).toBe('login_required');
  });

  it('oidcc-backchannel-rp-initiated-logout, beyond the suite: a client of the session without a backchannel URI gets nothing, and logging out without any hint still reaches the registered receiver', async () => {
    receiver.hits.length = 0;
    const signedIn = await signInAndRedeem(backchannelClient);
    await signInAndRedeem(client, { browser: signedIn.browser });
    const confirmation = await signedIn.browser.follow(endSession({}));
    expect(isLogoutConfirmation(confirmation)).toBe(true);
    await signedIn.browser.submit(confirmation, {}, { button: { name: 'logout', value: 'yes' } });
    expect(receiver.hits.map(({ path }) => path)).toEqual(['/backchannel_logout']);
    const token = new URLSearchParams(receiver.hits[0]?.body).get('logout_token') as string;
    const { payload } = await jwtVerify(token, createLocalJWKSet(await serverJwks(environment)), {
      issuer: environment.issuer,
      audience: backchannelClient.clientId,
    });
    expect(payload.sid).toBe(signedIn.idToken.claims.sid);
  });
});
