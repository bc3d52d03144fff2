import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DEFAULT_REDIRECT_URI, type TestTenant } from '../helpers/fixtures.js';
import { newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  authorizationParams,
  authorizationUrl,
  callbackOf,
  createTenant,
  environmentWithUser,
  expectCodeResponse,
  expectTokenError,
  expectTokenSuccess,
  introspect,
  redeemCode,
  relyingParty,
  type Rp,
  signIn,
  tokenCall,
  userinfo,
  verifiedIdToken,
} from './support-basic2.js';
import type { ConformanceUser } from './support.js';

/**
 * The OpenID Foundation's Basic OP plan, modules oidcc-codereuse, oidcc-codereuse-30seconds,
 * oidcc-server-client-secret-post, oidcc-refresh-token and oidcc-ensure-request-with-valid-pkce-
 * succeeds, with sump's PKCE refusals beside the last (docs/conformance.md). The token
 * endpoint's answers are read raw: the suite checks their status, content type, cache headers
 * and error fields, not only what a client library makes of them.
 */

let server: TestServer;
let tenant: TestTenant;
let environmentId: string;
let user: ConformanceUser;
let rp: Rp;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server);
  ({ environmentId, user } = await environmentWithUser(server, tenant));
  rp = await relyingParty(server, tenant, environmentId);
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Moves every clock of this process (the server's, jose's) `seconds` ahead of now. */
function shiftClock(seconds: number): void {
  const real = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => real() + seconds * 1000);
}

/** Signs the user in for the client and answers the callback's code with what was sent. */
async function codeFor(client: Rp, extra: Record<string, string> = {}, options: { pkce?: boolean } = {}) {
  const authorization = await authorizationParams(client, extra, options);
  const callback = await signIn(newBrowser(), client, user, authorization.params);
  return { authorization, code: expectCodeResponse(client, callback, authorization.params) };
}

describe('Basic OP: authorization codes are single-use', () => {
  it('oidcc-codereuse (OIDCCAuthCodeReuse): a code redeemed twice is invalid_grant, and what it issued is revoked', async () => {
    const { authorization, code } = await codeFor(rp, { scope: 'openid offline_access', prompt: 'consent' });
    const first = await redeemCode(rp, code, authorization);
    expectTokenSuccess(first);
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect((await userinfo(rp, first.body.access_token)).status).toBe(200);

    const second = await redeemCode(rp, code, authorization);
    expectTokenError(second, 'invalid_grant');

    // RFC 6749 §4.1.2: the tokens issued from the code are revoked.
    expect((await userinfo(rp, first.body.access_token)).status).toBe(401);
    expect(await introspect(rp, first.body.access_token, 'access_token')).toBe(false);
    expect(await introspect(rp, first.body.refresh_token, 'refresh_token')).toBe(false);
    expectTokenError(await tokenCall(rp, { grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }), 'invalid_grant');
  });

  it('oidcc-codereuse-30seconds (OIDCCAuthCodeReuseAfter30Seconds): 30 seconds later the code is still invalid_grant and the access token answers 4xx', async () => {
    const { authorization, code } = await codeFor(rp);
    const first = await redeemCode(rp, code, authorization);
    expectTokenSuccess(first);

    shiftClock(30);
    const second = await redeemCode(rp, code, authorization);
    expectTokenError(second, 'invalid_grant');
    const resource = await userinfo(rp, first.body.access_token);
    expect(resource.status).toBeGreaterThanOrEqual(400);
    expect(resource.status).toBeLessThan(500);
  });
});

describe('Basic OP: client authentication', () => {
  it('oidcc-server-client-secret-post (OIDCCServerTestClientSecretPost): the happy flow with client_secret_post; without its secret it is invalid_client', async () => {
    expect(rp.metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
    const post = await relyingParty(server, tenant, environmentId, { tokenEndpointAuthMethod: 'client_secret_post' });
    const { authorization, code } = await codeFor(post);

    // Its client_id alone (no secret) is not its method.
    expectTokenError(await redeemCode(post, code, authorization, 'none'), 'invalid_client', 401);

    const tokens = await redeemCode(post, code, authorization, 'client_secret_post');
    expectTokenSuccess(tokens);
    const idToken = await verifiedIdToken(post, tokens.body.id_token, authorization.params.nonce);
    const info = await userinfo(post, tokens.body.access_token);
    expect(info.status).toBe(200);
    expect(info.body.sub).toBe(idToken.sub);

    // A wrong secret by the right method is invalid_client too.
    const again = await codeFor(post);
    const wrong = await tokenCall(
      { ...post, client: { ...post.client, clientSecret: 'not-the-secret' } },
      { grant_type: 'authorization_code', code: again.code, redirect_uri: DEFAULT_REDIRECT_URI },
      'client_secret_post',
    );
    expectTokenError(wrong, 'invalid_client', 401);
  });
});

describe('Basic OP: refresh tokens', () => {
  it('oidcc-refresh-token (OIDCCRefreshToken): a refresh rotates the refresh token, keeps the ID token’s iss/sub/aud/auth_time, and is bound to its client', async () => {
    expect(rp.metadata.grant_types_supported).toContain('refresh_token');
    expect(rp.metadata.scopes_supported).toContain('offline_access');
    const { authorization, code } = await codeFor(rp, { scope: 'openid offline_access', prompt: 'consent', max_age: '3600' });
    const first = await redeemCode(rp, code, authorization);
    expectTokenSuccess(first);
    const firstIdToken = await verifiedIdToken(rp, first.body.id_token, authorization.params.nonce);
    const refreshToken = String(first.body.refresh_token);

    // The suite waits a second so that the new ID token's iat differs.
    shiftClock(2);
    const refreshed = await tokenCall(rp, { grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'openid offline_access' });
    expectTokenSuccess(refreshed);
    expect(refreshed.body.access_token).not.toBe(first.body.access_token);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(refreshed.body.refresh_token).not.toBe(refreshToken);

    // OIDC Core §12.2: the ID token of a refresh.
    const secondIdToken = await verifiedIdToken(rp, refreshed.body.id_token);
    expect(secondIdToken.iss).toBe(firstIdToken.iss);
    expect(secondIdToken.sub).toBe(firstIdToken.sub);
    expect(secondIdToken.aud).toEqual(firstIdToken.aud);
    expect(secondIdToken.iat).not.toBe(firstIdToken.iat);
    expect(firstIdToken.auth_time).toEqual(expect.any(Number));
    if (secondIdToken.auth_time !== undefined) expect(secondIdToken.auth_time).toBe(firstIdToken.auth_time);
    expect(secondIdToken.azp).toBe(firstIdToken.azp);

    const info = await userinfo(rp, refreshed.body.access_token);
    expect(info.status).toBe(200);
    expect(info.body.sub).toBe(firstIdToken.sub);

    // A second client's refresh token, sent by the first client: invalid_grant.
    const second = await relyingParty(server, tenant, environmentId);
    const theirs = await codeFor(second, { scope: 'openid offline_access', prompt: 'consent' });
    const theirTokens = await redeemCode(second, theirs.code, theirs.authorization);
    expectTokenSuccess(theirTokens);
    const crossed = await tokenCall(rp, { grant_type: 'refresh_token', refresh_token: String(theirTokens.body.refresh_token) });
    expectTokenError(crossed, 'invalid_grant');
    // …and it still works for its own client.
    expectTokenSuccess(await tokenCall(second, { grant_type: 'refresh_token', refresh_token: String(theirTokens.body.refresh_token) }));
  });
});

describe('Basic OP: PKCE', () => {
  it('oidcc-ensure-request-with-valid-pkce-succeeds (OIDCCEnsureRequestWithValidPkceSucceeds): S256 with the matching verifier succeeds', async () => {
    expect(rp.metadata.code_challenge_methods_supported).toEqual(['S256']);
    // The suite's client (PKCE not required) and sump's default one (required) alike.
    const required = await relyingParty(server, tenant, environmentId, { requirePkce: true });
    for (const client of [rp, required]) {
      const { authorization, code } = await codeFor(client, {}, { pkce: true });
      expect(authorization.params.code_challenge_method).toBe('S256');
      const tokens = await redeemCode(client, code, authorization);
      expectTokenSuccess(tokens);
      await verifiedIdToken(client, tokens.body.id_token, authorization.params.nonce);
    }
  });

  /** An authorization request that is refused before any page: the error sent back to the app. */
  async function refusedAtAuthorization(client: Rp, params: Record<string, string>) {
    const answer = await newBrowser().follow(authorizationUrl(client, params));
    const callback = callbackOf(answer);
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(params.state);
    return callback.searchParams;
  }

  it('PKCE: code_challenge_method=plain is refused with invalid_request', async () => {
    const { params } = await authorizationParams(rp);
    const refused = await refusedAtAuthorization(rp, { ...params, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(refused.get('error')).toBe('invalid_request');
  });

  it('PKCE: a wrong or missing code_verifier is invalid_grant; the right one still redeems the code', async () => {
    const { authorization, code } = await codeFor(rp, {}, { pkce: true });
    const verifier = authorization.verifier as string;
    const wrong = await tokenCall(rp, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: DEFAULT_REDIRECT_URI,
      code_verifier: `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`,
    });
    expectTokenError(wrong, 'invalid_grant');
    // A wrong verifier does not spend the code: whoever holds a stolen code cannot guess a
    // 256-bit verifier, and spending it would let them cancel the real client's sign-in.
    expectTokenSuccess(await redeemCode(rp, code, authorization));

    const next = await codeFor(rp, {}, { pkce: true });
    const missing = await tokenCall(rp, { grant_type: 'authorization_code', code: next.code, redirect_uri: DEFAULT_REDIRECT_URI });
    expectTokenError(missing, 'invalid_grant');
  });

  it('PKCE: a confidential client (sump\'s default registration) without PKCE is refused; one that registered requirePkce: false is not', async () => {
    const byDefault = await createClientWithDefaults();
    const refused = await refusedAtAuthorization(byDefault, (await authorizationParams(byDefault)).params);
    expect(refused.get('error')).toBe('invalid_request');
    expect(refused.get('error_description')).toMatch(/code_challenge|PKCE/i);

    // rp registered requirePkce: false (as the suite's tester does).
    const { authorization, code } = await codeFor(rp);
    expect(authorization.params.code_challenge).toBeUndefined();
    expectTokenSuccess(await redeemCode(rp, code, authorization));
  });

  it('PKCE: a public client without PKCE is refused (it cannot opt out)', async () => {
    const spa = await relyingParty(server, tenant, environmentId, { tokenEndpointAuthMethod: 'none' });
    const { params } = await authorizationParams(spa, {}, { pkce: false });
    const refused = await refusedAtAuthorization(spa, params);
    expect(refused.get('error')).toBe('invalid_request');
  });

  /** A confidential client registered with nothing but its name and redirect URI: PKCE required. */
  async function createClientWithDefaults(): Promise<Rp> {
    const client = await relyingParty(server, tenant, environmentId, { requirePkce: undefined });
    expect(client.client.requirePkce).toBe(true);
    return client;
  }
});
