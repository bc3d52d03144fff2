import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { createApp, type SumpApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createClient, unique, type TestClient } from '../helpers/fixtures.js';
import { testConfig } from '../helpers/test-server.js';
import {
  authorize,
  newConformanceBrowser,
  newEnvironment,
  registerClient,
  serverJwks,
  signInAndRedeem,
  startConformance,
  userinfo,
  type Conformance,
  type ConformanceEnvironment,
} from './support.js';
import { startReceiver, type Receiver } from './support-config-logout.js';

/**
 * The Config OP plan (oidcc-config-certification-test-plan) is one module,
 * oidcc-discovery-endpoint-verification (OIDCCDiscoveryEndpointVerification); its conditions are
 * named in the tests below. Beyond it (issue 5: "discovery complete and truthful"), every value
 * the document advertises is used for real: each client authentication method and client
 * assertion algorithm, each ID token algorithm, each claim, scope, grant type and response
 * mode; and every token sump signs names a `kid` that the JWKS publishes. Then the RFC 8414
 * location of the same document.
 */

type Metadata = ConformanceEnvironment['metadata'] & Record<string, unknown>;

let conformance: Conformance;
let environment: ConformanceEnvironment;
let metadata: Metadata;

beforeAll(async () => {
  conformance = await startConformance();
  environment = await newEnvironment(conformance);
  metadata = environment.metadata as Metadata;
});

afterAll(async () => {
  await conformance?.close();
});

const list = (name: string) => metadata[name] as string[];

describe('Config OP plan: oidcc-discovery-endpoint-verification', () => {
  it('oidcc-discovery-endpoint-verification (GetDynamicServerConfiguration, EnsureDiscoveryEndpointResponseStatusCodeIs200, CheckDiscoveryEndpointReturnedJsonContentType, CheckDiscEndpointDiscoveryUrl, CheckDiscEndpointIssuer): 200 JSON at issuer + /.well-known/openid-configuration, whose issuer is exactly the issuer it was fetched under', async () => {
    const url = `${environment.issuer}/.well-known/openid-configuration`;
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await answer.json()) as Metadata;
    expect(url.endsWith('/.well-known/openid-configuration')).toBe(true);
    expect(`${document.issuer}/.well-known/openid-configuration`).toBe(url);
    expect(document.issuer).toBe(`${conformance.server.url}/oidc/${environment.environmentId}`);
  });

  it('oidcc-discovery-endpoint-verification (OIDCCCheckDiscEndpointResponseTypesSupported, CheckDiscEndpointSubjectTypesSupported, OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported, OIDCCCheckDiscEndpointGrantTypesSupported, CheckDiscEndpointScopesSupportedContainsOpenId, OIDCCCheckDiscEndpointClaimsSupported, CheckDiscEndpointClaimsParameterSupported, CheckDiscEndpointRequest(Uri)ParameterSupported): the values OIDC Discovery §3 requires, RS256 among the ID token algorithms and never none', () => {
    expect(list('response_types_supported')).toEqual(['code']);
    expect(list('subject_types_supported')).toEqual(['public']);
    expect(list('id_token_signing_alg_values_supported')).toContain('RS256');
    for (const name of Object.keys(metadata).filter((key) => key.endsWith('_alg_values_supported'))) {
      expect([name, list(name).filter((alg) => alg.toLowerCase() === 'none' || alg.startsWith('HS'))]).toEqual([name, []]);
    }
    expect(list('grant_types_supported')).toEqual(expect.arrayContaining(['authorization_code']));
    expect(list('grant_types_supported')).not.toContain('implicit');
    expect(list('scopes_supported')).toContain('openid');
    expect(list('claims_supported').length).toBeGreaterThan(0);
    expect(metadata.claims_parameter_supported).toBe(true);
    expect(metadata.request_parameter_supported).toBe(false);
    expect(metadata.request_uri_parameter_supported).toBe(false);
    // userinfo_signing_alg_values_supported and registration_endpoint are absent: the suite skips those checks.
    expect(metadata).not.toHaveProperty('userinfo_signing_alg_values_supported');
    expect(metadata).not.toHaveProperty('registration_endpoint');
    expect(metadata).not.toHaveProperty('request_object_signing_alg_values_supported');
  });

  it('oidcc-discovery-endpoint-verification (CheckDiscEndpointAuthorizationEndpoint, CheckDiscEndpointTokenEndpoint, CheckDiscEndpointUserinfoEndpoint, CheckJwksUri, CheckDiscEndpointAllEndpointsAreHttps): with an https PUBLIC_URL every endpoint is an https URL under the issuer', async () => {
    let https: SumpApp | undefined;
    try {
      const config = testConfig({ PUBLIC_URL: 'https://idp.example.com' });
      https = createApp({ config, db: conformance.server.db, logger: createLogger(config) });
      const answer = await request(https.koa.callback()).get(`/oidc/${environment.environmentId}/.well-known/openid-configuration`);
      expect(answer.status).toBe(200);
      const document = answer.body as Metadata;
      const issuer = `https://idp.example.com/oidc/${environment.environmentId}`;
      expect(document.issuer).toBe(issuer);
      const endpoints = Object.entries(document).filter(([key]) => key.endsWith('_endpoint') || key === 'jwks_uri');
      expect(endpoints.map(([key]) => key)).toEqual(expect.arrayContaining(['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']));
      for (const [key, value] of endpoints) expect([key, String(value).startsWith(`${issuer}/`)]).toEqual([key, true]);
    } finally {
      await https?.close();
    }
  });

  it('oidcc-discovery-endpoint-verification (FetchServerKeys, ValidateServerJWKs, EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys): the JWKS keys each have a unique kid, use sig and an alg, and no private or symmetric member', async () => {
    const answer = await fetch(metadata.jwks_uri);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
    const { keys } = (await answer.json()) as { keys: JWK[] };
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys.map((key) => key.kid)).size).toBe(keys.length);
    for (const key of keys) {
      expect(key).toEqual(expect.objectContaining({ kid: expect.any(String), use: 'sig', alg: expect.stringMatching(/^(RS256|ES256)$/) }));
      expect(key.kty).not.toBe('oct');
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect([key.kid, secret in key]).toEqual([key.kid, false]);
    }
    expect(keys.map((key) => key.alg).sort()).toEqual(expect.arrayContaining(['ES256', 'RS256']));
  });

  it('oidcc-discovery-endpoint-verification, beyond the module: every advertised endpoint answers (an OAuth error or a page for an empty request, never a 404 or a 5xx)', async () => {
    const endpoints = Object.entries(metadata).filter(([key]) => key.endsWith('_endpoint') || key === 'jwks_uri');
    expect(endpoints.length).toBeGreaterThanOrEqual(8);
    for (const [key, url] of endpoints) {
      const post = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'device_authorization_endpoint'].includes(key);
      const answer = await fetch(String(url), post ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' } : {});
      const status = answer.status;
      expect([key, status !== 404 && status < 500]).toEqual([key, true]);
      if (post || key === 'userinfo_endpoint') {
        expect([key, answer.headers.get('content-type')]).toEqual([key, expect.stringMatching(/^application\/json/)]);
        expect([key, ((await answer.json()) as { error?: string }).error]).toEqual([key, expect.any(String)]);
      }
    }
  });
});

describe('Config OP plan, beyond the module: what discovery advertises works', () => {
  const machine = (body: Record<string, unknown>): Promise<TestClient> =>
    createClient(
      conformance.server,
      conformance.tenant,
      { name: `Machine ${unique()}`, grantTypes: ['client_credentials'], redirectUris: [], ...body },
      environment.environmentId,
    );

  const tokenRequest = (headers: Record<string, string>, fields: Record<string, string>) =>
    fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  it('token_endpoint_auth_methods_supported: client_secret_basic and client_secret_post each authenticate a client registered with them; a wrong or missing secret is 401', async () => {
    expect(list('token_endpoint_auth_methods_supported')).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    const basic = await machine({ tokenEndpointAuthMethod: 'client_secret_basic' });
    const post = await machine({ tokenEndpointAuthMethod: 'client_secret_post' });
    const basicHeader = (client: TestClient) => ({
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    });
    const asBody = (client: TestClient) => ({ client_id: client.clientId, client_secret: client.clientSecret as string });
    expect((await tokenRequest(basicHeader(basic), { grant_type: 'client_credentials' })).status).toBe(200);
    expect((await tokenRequest({}, { grant_type: 'client_credentials', ...asBody(post) })).status).toBe(200);
    // Either way, only the secret authenticates (oidc-provider takes a secret in either place, see docs/conformance.md).
    expect((await tokenRequest({}, { grant_type: 'client_credentials', client_id: basic.clientId, client_secret: 'wrong' })).status).toBe(401);
    expect((await tokenRequest({}, { grant_type: 'client_credentials', client_id: post.clientId })).status).toBe(401);
  });

  it('token_endpoint_auth_methods_supported private_key_jwt with each of token_endpoint_auth_signing_alg_values_supported: a client assertion signed with that algorithm authenticates', async () => {
    const algorithms = list('token_endpoint_auth_signing_alg_values_supported');
    expect(algorithms).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
    for (const alg of algorithms) {
      const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
      const kid = `key-${unique()}`;
      const client = await machine({
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] },
      });
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg, kid })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience(environment.issuer)
        .setJti(unique())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(privateKey);
      const answer = await tokenRequest(
        {},
        {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        },
      );
      expect([alg, answer.status]).toEqual([alg, 200]);
    }
  });

  it('token_endpoint_auth_methods_supported none: a public client signs in with PKCE and no secret', async () => {
    const client = await registerClient(environment, 'none');
    const signedIn = await signInAndRedeem(client);
    expect(signedIn.tokens.access_token).toEqual(expect.any(String));
  });

  it('id_token_signing_alg_values_supported: a client registered for each algorithm gets ID tokens signed with it by a key the JWKS publishes', async () => {
    expect(list('id_token_signing_alg_values_supported')).toEqual(['RS256', 'ES256']);
    for (const alg of list('id_token_signing_alg_values_supported')) {
      const client = await registerClient(environment, 'client_secret_basic', { idTokenSignedResponseAlg: alg, firstParty: true });
      // signInAndRedeem verifies the signature with the JWKS key the token's kid names.
      const signedIn = await signInAndRedeem(client);
      expect([alg, signedIn.idToken.header.alg]).toEqual([alg, alg]);
      const key = (await serverJwks(environment)).keys.find((candidate) => candidate.kid === signedIn.idToken.header.kid);
      expect(key?.alg).toBe(alg);
    }
  });

  describe('with a relying party listening for back-channel logout (so the ID token carries sid)', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver?.close();
    });

    it('claims_supported and scopes_supported: a user with every field, asked for every scope, gets every advertised claim in the ID token or at userinfo, each with a value', async () => {
      const client = await registerClient(environment, 'client_secret_basic', { backchannelLogoutUri: `${receiver.url}/logout` });
      const signedIn = await signInAndRedeem(client, {
        params: { scope: 'openid profile email phone address', max_age: '3600', acr_values: String(list('acr_values_supported')[0]) },
      });
      const info = await userinfo(environment, signedIn.tokens.access_token);
      expect(info.status).toBe(200);
      const seen = { ...signedIn.idToken.claims, ...info.body };
      for (const claim of list('claims_supported')) {
        expect([claim, seen[claim] !== undefined && seen[claim] !== null && seen[claim] !== '']).toEqual([claim, true]);
      }
      expect(list('scopes_supported')).toEqual(['openid', 'offline_access', 'profile', 'email', 'phone', 'address']);
    });
  });

  it('scopes_supported offline_access and grant_types_supported refresh_token: asked with prompt=consent, a refresh token comes, and it refreshes', async () => {
    const client = await registerClient(environment, 'client_secret_basic');
    const signedIn = await signInAndRedeem(client, { params: { scope: 'openid offline_access', prompt: 'consent' } });
    expect(signedIn.tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(client.config, signedIn.tokens.refresh_token as string);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });

  it('grant_types_supported client_credentials and the device code grant: each answers a client registered for it', async () => {
    expect(list('grant_types_supported')).toEqual(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);
    const device = await machine({ grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'], tokenEndpointAuthMethod: 'none' });
    const answer = await fetch(metadata.device_authorization_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: device.clientId, scope: 'openid' }).toString(),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(expect.objectContaining({ device_code: expect.any(String), user_code: expect.any(String) }));
  });

  it('response_modes_supported: query, fragment and form_post each return the code that way', async () => {
    expect(list('response_modes_supported').sort()).toEqual(['form_post', 'fragment', 'query']);
    const client = await registerClient(environment, 'client_secret_basic', { firstParty: true });
    const browser = newConformanceBrowser();
    await signInAndRedeem(client, { browser });
    const query = await authorize(client, { browser, params: { prompt: 'none', response_mode: 'query' } });
    expect(query.answer?.get('code')).toEqual(expect.any(String));
    const fragment = await authorize(client, { browser, params: { prompt: 'none', response_mode: 'fragment' } });
    expect(new URLSearchParams(new URL(fragment.page.url).hash.slice(1)).get('code')).toEqual(expect.any(String));
    const formPost = await authorize(client, { browser, params: { prompt: 'none', response_mode: 'form_post' } });
    expect(formPost.page.status).toBe(200);
    expect(formPost.page.body).toContain('action="http://localhost:7777/callback"');
    expect(formPost.page.body).toMatch(/name="code" value="[^"]+"/);
  });

  it('dpop_signing_alg_values_supported: a DPoP-bound token is issued for a proof signed with ES256', async () => {
    expect(list('dpop_signing_alg_values_supported')).toContain('ES256');
    const client = await machine({});
    const config = await oidc.discovery(new URL(environment.issuer), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret as string), {
      execute: [oidc.allowInsecureRequests],
    });
    const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const answer = await oidc.clientCredentialsGrant(config, {}, { DPoP: dpop });
    expect(answer.token_type.toLowerCase()).toBe('dpop');
  });

  it('the JWKS answers the kid of every token sump signs: ID tokens of each algorithm (above), JWT access tokens for an API resource, and after a key rotation both the old and the new kid', async () => {
    const identifier = `https://api-${unique()}.example.com`;
    const resource = await request(conformance.server.url)
      .post(`/api/v1/environments/${environment.environmentId}/resources`)
      .set('Cookie', conformance.tenant.cookie)
      .send({ identifier, name: 'Orders API', scopes: ['orders:read'] });
    expect(resource.status).toBe(201);
    const client = await machine({ allowedResources: [identifier], scopes: ['orders:read'] });
    const basic = { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` };
    const issue = async () => {
      const answer = await tokenRequest(basic, { grant_type: 'client_credentials', resource: identifier, scope: 'orders:read' });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { access_token: string }).access_token;
    };
    const before = await issue();
    const rotated = await request(conformance.server.url)
      .post(`/api/v1/environments/${environment.environmentId}/keys/rotate`)
      .set('Cookie', conformance.tenant.cookie);
    expect(rotated.status).toBeLessThan(300);
    const after = await issue();
    const jwks = await serverJwks(environment);
    for (const token of [before, after]) {
      const { kid } = decodeProtectedHeader(token);
      expect(jwks.keys.filter((key) => key.kid === kid)).toHaveLength(1);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: environment.issuer, audience: identifier });
      expect(payload.client_id).toBe(client.clientId);
    }
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
  });
});

describe('discovery at the RFC 8414 location', () => {
  const inserted = (suffix: string, environmentId = environment.environmentId) =>
    `${conformance.server.url}/.well-known/${suffix}/oidc/${environmentId}`;

  it('answers /.well-known/oauth-authorization-server/oidc/<envId> with the issuer’s own document, whose issuer is the one the path names (RFC 8414 §3.3)', async () => {
    const answer = await fetch(inserted('oauth-authorization-server'));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await answer.json()) as Metadata;
    const discovery = await (await fetch(`${environment.issuer}/.well-known/openid-configuration`)).json();
    expect(document).toEqual(discovery);
    expect(document.issuer).toBe(environment.issuer);
    const issuer = new URL(document.issuer);
    expect(inserted('oauth-authorization-server')).toBe(`${issuer.origin}/.well-known/oauth-authorization-server${issuer.pathname}`);
  });

  it('answers the openid-configuration path-inserted twin the same way (some OAuth libraries try it)', async () => {
    const answer = await fetch(inserted('openid-configuration'));
    expect(answer.status).toBe(200);
    expect((await answer.json()) as Metadata).toEqual(metadata);
  });

  it('answers every origin, preflight included, like discovery', async () => {
    const answer = await fetch(inserted('oauth-authorization-server'), { headers: { origin: 'https://anyone.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
    const preflight = await fetch(inserted('oauth-authorization-server'), {
      method: 'OPTIONS',
      headers: { origin: 'https://anyone.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
  });

  it('answers JSON 404 for an unknown or malformed environment, and nothing but discovery lives under the prefix', async () => {
    for (const environmentId of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const answer = await fetch(inserted('oauth-authorization-server', environmentId));
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await answer.json()).toEqual({ error: 'invalid_request', error_description: 'there is no issuer at this address' });
    }
    const deeper = await fetch(`${inserted('oauth-authorization-server')}/jwks`);
    expect(deeper.status).toBe(404);
    const posted = await fetch(inserted('oauth-authorization-server'), { method: 'POST' });
    expect(posted.status).toBe(404);
    expect(posted.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
