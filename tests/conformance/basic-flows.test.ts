import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { findElement } from '../helpers/http-browser.js';
import {
  authorize,
  expectAuthorizationError,
  newEnvironment,
  REDIRECT_URI,
  redeemCode,
  registerClient,
  serverJwks,
  signIn,
  signInAndRedeem,
  startConformance,
  userinfo,
  verifyIdToken,
  type Conformance,
  type ConformanceClient,
  type ConformanceEnvironment,
  type HttpAnswer,
  type SignedIn,
} from './support.js';

/**
 * The Basic OP plan (oidcc-basic-certification-test-plan, response_type=code,
 * client_secret_basic), its modules oidcc-server … oidcc-display-popup: each test asserts what
 * the suite's module asserts (its class is named in the test), as far as sump's part goes.
 * docs/conformance.md lists them with their status.
 */

/** The standard claims (OIDC Core 5.1) each scope asks for, as the suite's SCOPE_STANDARD_CLAIMS has them. */
const SCOPE_CLAIMS: Record<string, string[]> & { profile: string[] } = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'profile', 'picture', 'website', 'gender',
    'birthdate', 'zoneinfo', 'locale', 'updated_at', 'preferred_username'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The profile claims sump holds for an account (src/oidc/account-claims.ts); the others it has no field for. */
const SUMP_PROFILE_CLAIMS = ['name', 'preferred_username', 'picture', 'updated_at'];

/** The ID token's own claims (OIDC Core 2, JWT), which the suite's EnsureIdTokenDoesNotContainNonRequestedClaims allows. */
const ID_TOKEN_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'at_hash', 'c_hash', 'nbf', 'jti', 'sid', 's_hash'];

const isString = (value: unknown) => typeof value === 'string' && value.trim() !== '' && value.toLowerCase() !== 'null';

/** The suite's ValidateUserInfoStandardClaims / ValidateIdTokenStandardClaims: each standard claim present has its type. */
function expectStandardClaimsValid(claims: Record<string, unknown>): void {
  const strings = ['sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'email', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number'];
  for (const name of strings) if (name in claims) expect([name, isString(claims[name])]).toEqual([name, true]);
  for (const name of ['email_verified', 'phone_number_verified']) if (name in claims) expect(typeof claims[name]).toBe('boolean');
  if ('updated_at' in claims) expect(typeof claims.updated_at).toBe('number');
  if ('address' in claims) {
    const address = claims.address as Record<string, unknown>;
    expect(address).toEqual(expect.any(Object));
    for (const [part, value] of Object.entries(address)) {
      expect([part, ['formatted', 'street_address', 'locality', 'region', 'postal_code', 'country'].includes(part), isString(value)]).toEqual([part, true, true]);
    }
  }
}

/** The suite's EnsureUserInfoUpdatedAtValid: updated_at, if present, is after 1990 and not in the future. */
function expectUpdatedAtValid(claims: Record<string, unknown>): void {
  if (claims.updated_at === undefined) return;
  expect(claims.updated_at as number).toBeGreaterThan(Date.UTC(1990, 0, 1) / 1000);
  expect(claims.updated_at as number).toBeLessThanOrEqual(Date.now() / 1000 + 300);
}

/** The suite's EnsureContentTypeJson and EnsureHttpStatusCodeIs200 on a userinfo answer. */
function expectJsonOk(answer: HttpAnswer): void {
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
}

/** The suite's AbstractOIDCCUserInfoTest.validateExtractedUserInfoResponse, for the code flow. */
function expectUserinfoValid(answer: HttpAnswer, signedIn: SignedIn): Record<string, unknown> {
  expectJsonOk(answer);
  const claims = answer.body;
  expectStandardClaimsValid(claims);
  expect(isString(claims.sub)).toBe(true);
  expectUpdatedAtValid(claims);
  // EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources: no aggregated or distributed claims here.
  expect(claims._claim_names).toBeUndefined();
  expect(claims._claim_sources).toBeUndefined();
  // VerifyUserInfoAndIdTokenInTokenEndpointSameSub
  expect(claims.sub).toBe(signedIn.idToken.claims.sub);
  return claims;
}

/** Shannon entropy of a string, in bits, as the suite's AbstractEnsureMinimumEntropy measures it. */
function shannonBits(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * value.length;
}

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

describe('Basic OP plan: the happy flow, the authorization request, ID token signatures', () => {
  it('oidcc-server (OIDCCServerTest): discovery and JWKS sane, code of 128+ bits, token answer and ID token valid, userinfo answers', async () => {
    // CheckServerConfiguration: issuer, authorization and token endpoints present, as URLs.
    const { metadata } = environment;
    expect(metadata.issuer).toBe(environment.issuer);
    for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint'] as const) {
      expect(() => new URL(metadata[key])).not.toThrow();
    }
    // EnsureServerConfigurationSupportsClientSecretBasic
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic']));
    // FetchServerKeys, CheckServerKeysIsValid, CheckForKeyIdInServerJWKs, CheckDistinctKeyIdValueInServerJWKs
    const jwks = await serverJwks(environment);
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key.kid).toEqual(expect.any(String));
      expect(key.kty).toEqual(expect.any(String));
      expect(key.d).toBeUndefined();
    }
    expect(new Set(jwks.keys.map((key) => key.kid)).size).toBe(jwks.keys.length);

    const signedIn = await signInAndRedeem(client);
    expect(signedIn.steps).toEqual(['login', 'consent']);
    const { answer, tokens, idToken, tokenAnswer } = signedIn;
    // CheckStateInAuthorizationResponse, ValidateIssIfPresentInAuthorizationResponse
    expect(answer.get('state')).toBe(signedIn.request.state);
    const iss = answer.get('iss');
    if (iss !== null) expect(iss).toBe(environment.issuer);
    // EnsureMinimumAuthorizationCodeLength (128 bits), EnsureMinimumAuthorizationCodeEntropy (> 96 bits)
    const code = answer.get('code') as string;
    expect(Buffer.byteLength(code) * 8).toBeGreaterThanOrEqual(128);
    expect(shannonBits(code)).toBeGreaterThan(96);
    // CheckTokenEndpointHttpStatus200, CheckForAccessTokenValue, ValidateExpiresIn
    expect(tokenAnswer.status).toBe(200);
    expect(tokens.access_token.length).toBeGreaterThan(0);
    expect(tokens.expires_in).toEqual(expect.any(Number));
    expect(tokens.expires_in as number).toBeGreaterThan(0);
    expect(tokens.expires_in as number).toBeLessThanOrEqual(31536000);
    // ValidateIdToken, ValidateIdTokenNonce, ValidateIdTokenSignature, CheckForSubjectInIdToken (verifyIdToken),
    // ValidateIdTokenStandardClaims, EnsureIdTokenUpdatedAtValid
    expectStandardClaimsValid(idToken.claims);
    expectUpdatedAtValid(idToken.claims);
    // ValidateIdTokenACRClaimAgainstRequest: no acr_values asked, so nothing to match; acr, if any, not empty (verifyIdToken)
    // at_hash and c_hash are optional in a token-endpoint ID token; if present they must be right.
    expect(idToken.claims.c_hash).toBeUndefined();
    if (idToken.claims.at_hash !== undefined) {
      const { createHash } = await import('node:crypto');
      const digest = createHash('sha256').update(tokens.access_token).digest();
      expect(idToken.claims.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
    }
    // EnsureIdTokenDoesNotContainName, EnsureIdTokenDoesNotContainNonRequestedClaims (scope=openid)
    expect(idToken.claims.name).toBeUndefined();
    expect(Object.keys(idToken.claims).filter((claim) => !ID_TOKEN_CLAIMS.includes(claim))).toEqual([]);
    // requestProtectedResource: the userinfo endpoint answers 200 with the access token
    expect((await userinfo(environment, tokens.access_token)).status).toBe(200);
  });

  it('oidcc-response-type-missing (OIDCCResponseTypeMissing): a request without response_type is refused with invalid_request, back at the app with its state', async () => {
    const { answer, request: sent, page } = await authorize(client, { params: { response_type: undefined } });
    expect(sent.params.has('response_type')).toBe(false);
    // The suite accepts a redirect back with unsupported_response_type or invalid_request, or an
    // error page; sump redirects back (the client and redirect_uri are valid), in the query.
    expect(page.status).toBe(303);
    expect(answer).toBeDefined();
    // performGenericAuthorizationEndpointErrorResponseValidation, then
    // CheckErrorFromAuthorizationEndpointErrorInvalidRequestOrUnsupportedResponseType
    const error = expectAuthorizationError(environment, answer, sent.state);
    expect(['invalid_request', 'unsupported_response_type']).toContain(error);
    expect(error).toBe('invalid_request');
    expect(answer!.get('error_description')).toMatch(/response_type/);
  });

  it('oidcc-idtoken-signature (OIDCCIdTokenSignature): with no algorithm registered, the ID token is RS256 and names its key (kid)', async () => {
    const { idToken } = await signInAndRedeem(client);
    // EnsureIdTokenContainsKid, EnsureIdTokenSignatureIsRS256, then the standard checks (verifyIdToken)
    expect(idToken.header.kid).toEqual(expect.any(String));
    expect(idToken.header.alg).toBe('RS256');
    expect(environment.metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256']));
  });

  it('oidcc-idtoken-unsigned (OIDCCIdTokenUnsigned): refused — discovery does not offer "none" and no client can register it', async () => {
    // The suite skips the module when id_token_signing_alg_values_supported lacks "none"
    // (OIDCCCheckIdTokenSigningAlgValuesSupportedAlgNone), which certification accepts.
    expect(environment.metadata.id_token_signing_alg_values_supported).not.toContain('none');
    const refused = await request(conformance.server.url)
      .post(`/api/v1/environments/${environment.environmentId}/clients`)
      .set('Cookie', conformance.tenant.cookie)
      .send({ name: 'Unsigned', redirectUris: [REDIRECT_URI], idTokenSignedResponseAlg: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'idTokenSignedResponseAlg' })] });
    // Nor can an authorization request ask for an unsigned token some other way (no request objects accepted).
    const { idToken } = await signInAndRedeem(client);
    expect(idToken.header.alg).not.toBe('none');
  });
});

describe('Basic OP plan: userinfo', () => {
  let signedIn: SignedIn;

  beforeAll(async () => {
    signedIn = await signInAndRedeem(client);
  });

  it('oidcc-userinfo-get (OIDCCUserInfoGet): GET with the bearer header answers 200 JSON with the ID token’s sub', async () => {
    const claims = expectUserinfoValid(await userinfo(environment, signedIn.tokens.access_token, 'get'), signedIn);
    expect(claims).toEqual({ sub: environment.user.accountId });
  });

  it('oidcc-userinfo-post-header (OIDCCUserInfoPostHeader): POST with the bearer header answers 200 JSON with the ID token’s sub', async () => {
    expectUserinfoValid(await userinfo(environment, signedIn.tokens.access_token, 'post-header'), signedIn);
  });

  it('oidcc-userinfo-post-body (OIDCCUserInfoPostBody): POST with the token in the form body is supported: 200 JSON with the ID token’s sub', async () => {
    // Optional in the standards (the suite only warns on an error); sump supports it.
    expectUserinfoValid(await userinfo(environment, signedIn.tokens.access_token, 'post-body'), signedIn);
  });
});

describe('Basic OP plan: nonce, scopes and parameter order', () => {
  it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow (OIDCCEnsureRequestWithoutNonceSucceedsForCodeFlow): a code is issued without a nonce', async () => {
    const signedIn = await signIn(client, { params: { nonce: undefined } });
    expect(signedIn.request.params.has('nonce')).toBe(false);
    expect(signedIn.answer.get('error')).toBeNull();
    expect(signedIn.answer.get('state')).toBe(signedIn.request.state);
    expect(signedIn.answer.get('code')).toEqual(expect.any(String));
    // The module stops at the code; beyond it, the code redeems to an ID token without a nonce.
    const redeemed = await redeemCode(client, signedIn);
    expect(redeemed.status).toBe(200);
    const idToken = await verifyIdToken(client, redeemed.body.id_token as string, { nonce: undefined });
    expect(idToken.claims.nonce).toBeUndefined();
  });

  /**
   * AbstractOIDCCReturnedClaimsServerTest: scopes_supported lists the scopes (or the module is
   * skipped), the flow passes, userinfo is valid and holds every claim of the scopes asked for
   * (VerifyScopesReturnedInUserInfoClaims, a warning in the suite). sump holds no field for some
   * profile claims (given_name, family_name…): those are the warning's, documented; every claim
   * it does hold is returned, and nothing of a scope not asked for.
   */
  async function expectScopeClaims(scope: string, options: { order?: readonly string[] } = {}) {
    const scopes = scope.split(' ');
    expect(environment.metadata.scopes_supported).toEqual(expect.arrayContaining(scopes));
    const signedIn = await signInAndRedeem(client, { params: { scope }, ...options });
    const claims = expectUserinfoValid(await userinfo(environment, signedIn.tokens.access_token), signedIn);
    const user = environment.user;
    const held: Record<string, unknown> = {
      sub: user.accountId,
      name: user.name,
      preferred_username: user.username,
      picture: user.picture,
      updated_at: expect.any(Number),
      email: user.email,
      email_verified: true,
      phone_number: user.phone,
      phone_number_verified: false,
      address: user.address,
    };
    const asked = scopes.flatMap((name) => SCOPE_CLAIMS[name] ?? []);
    const expected = Object.fromEntries(Object.entries(held).filter(([claim]) => asked.includes(claim)));
    expect(claims).toEqual(expected);
    const missing = asked.filter((claim) => !(claim in claims));
    expect(missing.filter((claim) => !SCOPE_CLAIMS.profile.includes(claim) || SUMP_PROFILE_CLAIMS.includes(claim))).toEqual([]);
    // The ID token of a code flow carries none of them (they are userinfo's: OIDC Core 5.4).
    expect(Object.keys(signedIn.idToken.claims).filter((claim) => !ID_TOKEN_CLAIMS.includes(claim))).toEqual([]);
    return { signedIn, claims };
  }

  it('oidcc-scope-profile (OIDCCScopeProfile): userinfo returns the profile claims sump holds', async () => {
    const { claims } = await expectScopeClaims('openid profile');
    expect(Object.keys(claims).sort()).toEqual(['name', 'picture', 'preferred_username', 'sub', 'updated_at']);
  });

  it('oidcc-scope-email (OIDCCScopeEmail): userinfo returns email and email_verified, no name; the ID token has no email', async () => {
    const { claims, signedIn } = await expectScopeClaims('openid email');
    // EnsureUserInfoDoesNotContainName, EnsureIdTokenDoesNotContainName, EnsureIdTokenDoesNotContainEmailForScopeEmail
    expect(claims.name).toBeUndefined();
    expect(signedIn.idToken.claims.name).toBeUndefined();
    expect(signedIn.idToken.claims.email).toBeUndefined();
    expect(claims).toMatchObject({ email: environment.user.email, email_verified: true });
  });

  it('oidcc-scope-address (OIDCCScopeAddress): userinfo returns the address object', async () => {
    const { claims } = await expectScopeClaims('openid address');
    expect(claims.address).toEqual(environment.user.address);
  });

  it('oidcc-scope-phone (OIDCCScopePhone): userinfo returns phone_number and phone_number_verified', async () => {
    const { claims } = await expectScopeClaims('openid phone');
    expect(claims).toMatchObject({ phone_number: environment.user.phone, phone_number_verified: false });
  });

  it('oidcc-scope-all (OIDCCScopeAll): userinfo returns the claims of profile, email, address and phone together', async () => {
    const { claims } = await expectScopeClaims('openid email phone address profile');
    expect(Object.keys(claims).sort()).toEqual([
      'address', 'email', 'email_verified', 'name', 'phone_number', 'phone_number_verified', 'picture', 'preferred_username', 'sub', 'updated_at',
    ]);
  });

  it('oidcc-alternate-happy-flow, formerly oidcc-ensure-other-scope-order-succeeds (OIDCCAlternateHappyFlow): scope order reversed and parameters reordered change nothing', async () => {
    // OIDCCScopeEmail with ReverseScopeOrderInAuthorizationEndpointRequest ("email openid") and
    // BuildPlainRedirectToAuthorizationEndpointReorderedParams: the query in reverse alphabetical
    // order, where the suite's other modules send it alphabetically (RFC 6749 3.3: order does not matter).
    const order = ['state', 'scope', 'response_type', 'redirect_uri', 'nonce', 'client_id'];
    expect([...order].sort().reverse()).toEqual(order);
    const { claims, signedIn } = await expectScopeClaims('email openid', { order });
    expect([...signedIn.request.params.keys()]).toEqual(order);
    expect(signedIn.request.url.search.startsWith('?state=')).toBe(true);
    expect(claims.name).toBeUndefined();
    expect(signedIn.idToken.claims.email).toBeUndefined();
    expect(claims).toMatchObject({ email: environment.user.email });
  });
});

describe('Basic OP plan: display', () => {
  it.each(['page', 'popup'])('oidcc-display-%s (OIDCCDisplayPage / OIDCCDisplayPopup): the display parameter is accepted, the usual login page is shown and the flow completes', async (display) => {
    const signedIn = await signInAndRedeem(client, { params: { display } });
    expect(signedIn.request.params.get('display')).toBe(display);
    expect(signedIn.steps[0]).toBe('login');
    expect(findElement(signedIn.loginPage!, 'input[name=password]')).not.toBeNull();
    expect(signedIn.answer.get('code')).toEqual(expect.any(String));
  });
});
