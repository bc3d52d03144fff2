import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { issuerOf, signInThroughLoginPage } from '../helpers/oidc.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/test-server.js';
import { createLogger } from '../../src/logger.js';

interface Hit {
  readonly path: string;
  readonly body: string;
}

/** A small HTTP server standing for the relying party's own endpoints. */
interface RelyingPartyAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

async function startRelyingParty(handler: (request: IncomingMessage, body: string) => RelyingPartyAnswer) {
  const hits: Hit[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hits.push({ path: request.url ?? '', body });
      const answer = handler(request, body);
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What sump fetches and sends itself: a client's jwks_uri and back-channel logout. */
describe('outbound requests of the issuer', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let user: TestUser;
  /** What the server logs, at the default level (info). */
  let logged = '';

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    server = await startTestServer({ logger: createLogger({ ...testConfig(), logLevel: 'info' }, sink) });
    tenant = await createTenant(server);
    user = await signupUser(server, tenant.environmentId);
  });
  afterAll(async () => {
    await server.close();
  });

  it('authenticates a private_key_jwt client through its jwks_uri, and follows no redirect', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
    const rp = await startRelyingParty((request): RelyingPartyAnswer =>
      request.url === '/jwks'
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ keys: [jwk] }) }
        : { status: 302, headers: { location: '/jwks' } },
    );
    try {
      for (const [path, expected] of [
        ['/jwks', 'token'],
        ['/moved', 'refused'],
      ] as const) {
        const client = await createClient(server, tenant, {
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwksUri: `${rp.url}${path}`,
          grantTypes: ['client_credentials'],
          redirectUris: [],
        });
        const config = await oidc.discovery(
          new URL(issuerOf(server, tenant.environmentId)),
          client.clientId,
          undefined,
          oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }),
          { execute: [oidc.allowInsecureRequests] },
        );
        const attempt = oidc.clientCredentialsGrant(config);
        if (expected === 'token') await expect(attempt).resolves.toMatchObject({ access_token: expect.any(String) });
        else await expect(attempt).rejects.toThrow();
      }
      expect(rp.hits.map((hit) => hit.path)).toEqual(['/jwks', '/moved']);
    } finally {
      await rp.close();
    }
  });

  /** Signs the user in to `client` and logs out through RP-initiated logout, confirming. */
  async function signInAndLogOut(client: TestClient, logoutParams: Record<string, string> = {}) {
    const { config, tokens, browser } = await signInThroughLoginPage(server, tenant.environmentId, client, user);
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token as string, ...logoutParams });
    const confirmation = await browser.follow(logout.href);
    return browser.submit(confirmation, {}, { button: { name: 'logout', value: 'yes' } });
  }

  it('logs a client whose back-channel endpoint fails on an RP-initiated logout (and still signs the user out)', async () => {
    const rp = await startRelyingParty(() => ({ status: 500 }));
    try {
      const client = await createClient(server, tenant, { firstParty: true, backchannelLogoutUri: `${rp.url}/backchannel` });
      const done = await signInAndLogOut(client);
      expect(done.status).toBe(200);
      expect(rp.hits.map((hit) => hit.path)).toEqual(['/backchannel']);
      const line = logged.split('\n').find((entry) => entry.includes('back-channel logout failed'));
      expect(line).toBeDefined();
      expect(JSON.parse(line as string)).toMatchObject({ level: 40, clientId: client.clientId, environmentId: tenant.environmentId });
      expect(line).not.toContain('logout_token');
    } finally {
      await rp.close();
    }
  });

  it('sends back-channel logout to the clients of a session that ends', async () => {
    const rp = await startRelyingParty(() => ({ status: 200 }));
    try {
      const client = await createClient(server, tenant, {
        firstParty: true,
        backchannelLogoutUri: `${rp.url}/backchannel`,
        postLogoutRedirectUris: ['http://localhost:7777/bye'],
      });
      await signInAndLogOut(client, { post_logout_redirect_uri: 'http://localhost:7777/bye' });

      expect(rp.hits.map((hit) => hit.path)).toEqual(['/backchannel']);
      const logoutToken = new URLSearchParams(rp.hits[0]?.body).get('logout_token') as string;
      const jwks = createRemoteJWKSet(new URL(`${issuerOf(server, tenant.environmentId)}/jwks`));
      const { payload } = await jwtVerify(logoutToken, jwks, { issuer: issuerOf(server, tenant.environmentId), audience: client.clientId });
      expect(payload).toMatchObject({ sub: user.accountId, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
      expect(payload.nonce).toBeUndefined();
    } finally {
      await rp.close();
    }
  });
});

/** Sign-ins that end without a logout still reach the clients, by back-channel (OIDC BCL 1.0). */
describe("back-channel logout when an account's sessions end", () => {
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Signs the user in to the client through the hosted login page: the ID token's claims. */
  async function signIn(client: TestClient, user: TestUser) {
    const { tokens } = await signInThroughLoginPage(server, tenant.environmentId, client, user);
    return tokens.claims() as unknown as { sub: string; sid: string };
  }

  const asOwner = (method: 'patch' | 'delete', path: string) =>
    request(server.url)[method](`/api/v1/environments/${tenant.environmentId}/accounts${path}`).set('Cookie', tenant.cookie).send({});

  const endings: [string, (user: TestUser) => Promise<request.Response>, number][] = [
    ['an admin disables the account', (user) => asOwner('patch', `/${user.accountId}/disable`), 200],
    ['an admin deletes the account', (user) => asOwner('delete', `/${user.accountId}`), 204],
    [
      'the person changes their password',
      (user) =>
        request(server.url)
          .post(`/api/v1/auth/environments/${tenant.environmentId}/change-password`)
          .set('Authorization', `Bearer ${user.sessionToken}`)
          .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' }),
      200,
    ],
    [
      'the password is reset through a link',
      async (user) => {
        const owner = { tenantId: tenant.tenantId, environmentId: tenant.environmentId, accountType: 'environment_account' as const, accountId: user.accountId };
        const { token } = await server.sump.services.linkTokens.issue(server.db, owner, 'reset_password');
        return request(server.url)
          .post(`/api/v1/auth/environments/${tenant.environmentId}/reset-password`)
          .send({ token, newPassword: 'a brand new passphrase' });
      },
      200,
    ],
  ];

  it.each(endings)('tells each client of the ended sign-ins when %s', async (_how, end, status) => {
    const rp = await startRelyingParty(() => ({ status: 200 }));
    try {
      const user = await signupUser(server, tenant.environmentId);
      const told = await createClient(server, tenant, { firstParty: true, backchannelLogoutUri: `${rp.url}/backchannel` });
      const alsoTold = await createClient(server, tenant, { firstParty: true, backchannelLogoutUri: `${rp.url}/other` });
      const notListening = await createClient(server, tenant, { firstParty: true });
      const signedIn = await signIn(told, user);
      const alsoSignedIn = await signIn(alsoTold, user);
      await signIn(notListening, user);

      expect((await end(user)).status).toBe(status);
      await server.sump.services.sessionEndings.settled();

      expect(rp.hits.map((hit) => hit.path).sort()).toEqual(['/backchannel', '/other']);
      const issuer = issuerOf(server, tenant.environmentId);
      const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
      for (const [client, claims] of [
        [told, signedIn],
        [alsoTold, alsoSignedIn],
      ] as const) {
        const hit = rp.hits.find((each) => each.path === (client === told ? '/backchannel' : '/other'));
        const logoutToken = new URLSearchParams(hit?.body).get('logout_token') as string;
        const { payload } = await jwtVerify(logoutToken, jwks, { issuer, audience: client.clientId });
        expect(payload).toMatchObject({
          sub: user.accountId,
          sid: claims.sid,
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        });
      }
    } finally {
      await rp.close();
    }
  });

  it("still ends the sessions when a client's back-channel endpoint fails", async () => {
    const rp = await startRelyingParty(() => ({ status: 500 }));
    try {
      const user = await signupUser(server, tenant.environmentId);
      const client = await createClient(server, tenant, { firstParty: true, backchannelLogoutUri: `${rp.url}/backchannel` });
      await signIn(client, user);

      expect((await asOwner('patch', `/${user.accountId}/disable`)).status).toBe(200);
      await server.sump.services.sessionEndings.settled();

      expect(rp.hits.map((hit) => hit.path)).toEqual(['/backchannel']);
      const sessions = await server.db('oidc_artifacts').where({ environment_id: tenant.environmentId, account_id: user.accountId });
      expect(sessions).toEqual([]);
    } finally {
      await rp.close();
    }
  });
});
