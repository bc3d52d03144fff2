import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  advanceClock,
  authorize,
  expectAuthorizationError,
  newConformanceBrowser,
  newEnvironment,
  registerClient,
  restoreClock,
  signInAndRedeem,
  startConformance,
  type Conformance,
  type ConformanceClient,
  type SignedIn,
} from './support.js';

/**
 * The Basic OP plan's modules about the OP's session: prompt=login, prompt=none (signed out and
 * signed in), max_age=1 and max_age=10000. Each runs two authorizations in one browser, as the
 * suite's modules do, and compares the two ID tokens. Where the suite waits (1 s before
 * prompt=login, 2 s before max_age=1), the process's clock is moved on instead: the server runs
 * in this process, so oidc-provider sees the time pass.
 */

let conformance: Conformance;
let client: ConformanceClient;

beforeAll(async () => {
  conformance = await startConformance();
  client = await registerClient(await newEnvironment(conformance), 'client_secret_basic');
});

afterEach(() => restoreClock());

afterAll(async () => {
  await conformance?.close();
});

const now = () => Math.floor(Date.now() / 1000);

/** The suite's CheckIdTokenSubConsistentForSecondAuthorization. */
function expectSameSub(first: SignedIn, second: SignedIn): void {
  expect(second.idToken.claims.sub).toBe(first.idToken.claims.sub);
}

/** The suite's CheckSecondIdTokenAuthTimeIsLaterIfPresent. */
function expectLaterAuthTimeIfPresent(first: SignedIn, second: SignedIn): void {
  const [before, after] = [first.idToken.claims.auth_time, second.idToken.claims.auth_time];
  if (typeof before === 'number' && typeof after === 'number') expect(after).toBeGreaterThan(before);
}

/** The suite's CheckIdTokenAuthTimeClaimsSameIfPresent. */
function expectSameAuthTimeIfPresent(first: SignedIn, second: SignedIn): void {
  const [before, after] = [first.idToken.claims.auth_time, second.idToken.claims.auth_time];
  if (typeof before === 'number' && typeof after === 'number') expect(after).toBe(before);
}

describe('Basic OP plan: prompt', () => {
  it('oidcc-prompt-login (OIDCCPromptLogin): a signed-in user asked again with prompt=login sees the login page again; the new auth_time is later', async () => {
    const browser = newConformanceBrowser();
    const first = await signInAndRedeem(client, { browser });
    expect(first.steps).toEqual(['login', 'consent']);

    // WaitForOneSecond, then the same request with prompt=login (AddPromptLoginToAuthorizationEndpointRequest)
    advanceClock(1);
    const loginAgainAt = now();
    const second = await signInAndRedeem(client, { browser, params: { prompt: 'login' } });
    // ExpectSecondLoginPage: the user is asked to sign in again (consent was given already).
    expect(second.steps).toEqual(['login']);
    expectSameSub(first, second);
    expectLaterAuthTimeIfPresent(first, second);
    // sump sends auth_time whenever prompt=login was asked for, so the check above has something to compare
    // with on the second token: it is the second sign-in's time.
    expect(second.idToken.claims.auth_time).toEqual(expect.any(Number));
    expect(second.idToken.claims.auth_time as number).toBeGreaterThanOrEqual(loginAgainAt);
  });

  it('oidcc-prompt-none-not-logged-in (OIDCCPromptNoneNotLoggedIn): prompt=none without a session redirects back with login_required and the 128-character state intact', async () => {
    // requested_state_length 128: a long state, to check the OP does not corrupt it in the error answer.
    const state = 'S'.repeat(32) + Buffer.from(crypto.getRandomValues(new Uint8Array(72))).toString('base64url');
    expect(state).toHaveLength(128);
    const { answer, page } = await authorize(client, { browser: newConformanceBrowser(), params: { prompt: 'none', state } });
    expect(page.status).toBe(303);
    // performGenericAuthorizationEndpointErrorResponseValidation, then
    // CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface
    const error = expectAuthorizationError(client.environment, answer, state);
    expect(['interaction_required', 'login_required', 'account_selection_required', 'consent_required']).toContain(error);
    expect(error).toBe('login_required');
  });

  it('oidcc-prompt-none-logged-in (OIDCCPromptNoneLoggedIn): a signed-in user asked again with prompt=none gets a code with no page shown; sub and auth_time unchanged', async () => {
    const browser = newConformanceBrowser();
    const first = await signInAndRedeem(client, { browser });
    const second = await signInAndRedeem(client, { browser, params: { prompt: 'none' } });
    // The authorization server must not ask the user to sign in: straight back to the app.
    expect(second.steps).toEqual([]);
    expect(second.answer.get('error')).toBeNull();
    expectSameAuthTimeIfPresent(first, second);
    expectSameSub(first, second);
  });
});

describe('Basic OP plan: max_age', () => {
  it('oidcc-max-age-1 (OIDCCMaxAge1): 2 s after signing in, max_age=1 asks for the login again and the ID token carries a later, recent auth_time', async () => {
    const browser = newConformanceBrowser();
    const first = await signInAndRedeem(client, { browser });

    // WaitFor2Seconds, then max_age=1 (AddMaxAge1ToAuthorizationEndpointRequest)
    advanceClock(2);
    const second = await signInAndRedeem(client, { browser, params: { max_age: '1' } });
    // ExpectSecondLoginPage
    expect(second.steps).toEqual(['login']);
    // CheckIdTokenAuthTimeClaimPresentDueToMaxAge
    expect(second.idToken.claims.auth_time).toEqual(expect.any(Number));
    expectLaterAuthTimeIfPresent(first, second);
    // CheckIdTokenAuthTimeIsRecentIfPresent: not older than 1 s (allowing the suite's 5 minutes of skew)
    expect(second.idToken.claims.auth_time as number).toBeGreaterThanOrEqual(now() - 300 - 1);
    expectSameSub(first, second);
  });

  it('oidcc-max-age-10000 (OIDCCMaxAge10000): max_age=15000, then max_age=10000 signs in without a page; both ID tokens carry the same auth_time and sub', async () => {
    const browser = newConformanceBrowser();
    // AddMaxAge15000ToAuthorizationEndpointRequest: auth_time must be returned (validateFirstIdToken)
    const first = await signInAndRedeem(client, { browser, params: { max_age: '15000' } });
    expect(first.steps).toEqual(['login', 'consent']);
    expect(first.idToken.claims.auth_time).toEqual(expect.any(Number));

    // AddMaxAge10000ToAuthorizationEndpointRequest: the authentication is recent enough.
    const second = await signInAndRedeem(client, { browser, params: { max_age: '10000' } });
    expect(second.steps).toEqual([]);
    expect(second.idToken.claims.auth_time).toEqual(expect.any(Number));
    expectSameAuthTimeIfPresent(first, second);
    expect(second.idToken.claims.auth_time).toBe(first.idToken.claims.auth_time);
    expectSameSub(first, second);
  });
});
