import * as oidc from 'openid-client';
import { DEFAULT_REDIRECT_URI, type TestClient } from './fixtures.js';
import { HttpBrowser } from './http-browser.js';
import type { TestServer } from './test-server.js';

export const issuerOf = (server: TestServer, environmentId: string) => `${server.url}/oidc/${environmentId}`;

/** openid-client's configuration for a client of an environment (signatures checked). */
export async function discoverClient(server: TestServer, environmentId: string, client: TestClient) {
  const config = await oidc.discovery(
    new URL(issuerOf(server, environmentId)),
    client.clientId,
    client.clientSecret,
    client.clientSecret ? undefined : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  oidc.enableNonRepudiationChecks(config);
  return config;
}

export interface AuthorizationStart {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** An authorization request with PKCE S256, state and nonce; `params` add to or replace them. */
export async function authorizationRequest(
  config: oidc.Configuration,
  params: Record<string, string> = {},
): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: DEFAULT_REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/** A cookie-carrying HTTP client that stops at the default redirect URI's origin. */
export const newBrowser = () => new HttpBrowser((url) => url.startsWith('http://localhost:7777/'));

/**
 * A user signs in to a client through the hosted login page (allowing on the consent page when
 * one is shown), and the app exchanges the code (PKCE, state and nonce checked). `params` add to
 * or replace the authorization request's, `tokenParams` go with the token request (a `resource`).
 */
export async function signInThroughLoginPage(
  server: TestServer,
  environmentId: string,
  client: TestClient,
  user: { readonly email: string; readonly password: string },
  params: Record<string, string> = {},
  tokenParams: Record<string, string> = {},
) {
  const config = await discoverClient(server, environmentId, client);
  const start = await authorizationRequest(config, params);
  const browser = newBrowser();
  const login = await browser.follow(start.url.href);
  const afterLogin = await browser.submit(login, { identifier: user.email, password: user.password });
  const callback = afterLogin.url.startsWith(DEFAULT_REDIRECT_URI)
    ? afterLogin
    : await browser.submit(afterLogin, {}, { button: { name: 'decision', value: 'allow' } });
  if (!callback.url.startsWith(DEFAULT_REDIRECT_URI)) throw new Error(`the sign-in ended at ${callback.url}, not the app`);
  const tokens = await oidc.authorizationCodeGrant(
    config,
    new URL(callback.url),
    { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce },
    tokenParams,
  );
  return { config, tokens, browser };
}
