import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import {
  createClient,
  signupUser,
  startServerWithTenants,
  type ServerWithTenants,
  type TestClient,
  type TestUser,
} from '../helpers/fixtures.js';
import { issuerOf, signInThroughLoginPage } from '../helpers/oidc.js';

/**
 * Issue 5 item 3: which tokens sump issues. No resource named: an opaque access token for
 * userinfo. A resource named: its format (JWT per RFC 9068 by default) with the resource as
 * audience, for a user's sign-in as for client_credentials; the scopes a token carries are the
 * ones both the resource offers and the client registered. ID tokens RS256, or ES256 per client.
 */

let world: ServerWithTenants;
let user: TestUser;
const ORDERS = 'https://api.example/orders';
const issuer = () => issuerOf(world.server, world.tenant.environmentId);

async function createResource(body: Record<string, unknown>) {
  const answer = await request(world.server.url)
    .post(`/api/v1/environments/${world.tenant.environmentId}/resources`)
    .set('Cookie', world.tenant.cookie)
    .send(body);
  expect(answer.status).toBe(201);
}

const basic = (client: TestClient) => `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

async function clientCredentials(client: TestClient, params: Record<string, string>) {
  const answer = await fetch(`${issuer()}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, string> };
}

/** A first-party sign-in through the hosted login page; answers the token endpoint's answer. */
const signIn = (client: TestClient, params: Record<string, string> = {}, tokenParams: Record<string, string> = {}) =>
  signInThroughLoginPage(world.server, world.tenant.environmentId, client, user, { scope: 'openid email', ...params }, tokenParams);

beforeAll(async () => {
  world = await startServerWithTenants();
  user = await signupUser(world.server, world.tenant.environmentId);
  await createResource({ identifier: ORDERS, name: 'Orders', scopes: ['read:orders', 'write:orders'], accessTokenTtl: 300 });
});

afterAll(async () => {
  await world?.server.close();
});

describe('ID tokens', () => {
  it('are RS256 by default and ES256 for a client that registered it, both verifiable through the JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${issuer()}/jwks`));
    for (const alg of ['RS256', 'ES256'] as const) {
      const client = await createClient(world.server, world.tenant, {
        firstParty: true,
        ...(alg === 'ES256' ? { idTokenSignedResponseAlg: 'ES256' } : {}),
      });
      const { tokens } = await signIn(client);
      expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe(alg);
      const { payload } = await jwtVerify(tokens.id_token as string, jwks, { issuer: issuer(), audience: client.clientId, algorithms: [alg] });
      expect(payload.sub).toBe(user.accountId);
    }
  });
});

describe('access tokens of a sign-in', () => {
  it('are opaque when no resource is named, and answer userinfo', async () => {
    const client = await createClient(world.server, world.tenant, { firstParty: true });
    const { config, tokens } = await signIn(client);
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.accountId)).toMatchObject({ email: user.email });
  });

  it('are the resource’s JWT (RFC 9068) when the token request names it, with the resource as audience and its TTL', async () => {
    const client = await createClient(world.server, world.tenant, {
      firstParty: true,
      allowedResources: [ORDERS],
      scopes: ['openid', 'email', 'read:orders'],
    });
    // RFC 8707: the resource is named at the authorization and again at the token request.
    const { tokens } = await signIn(client, { resource: ORDERS, scope: 'openid email read:orders' }, { resource: ORDERS });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const jwks = createRemoteJWKSet(new URL(`${issuer()}/jwks`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: issuer(), audience: ORDERS, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.accountId, client_id: client.clientId, scope: 'read:orders' });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    expect(tokens.expires_in).toBeLessThanOrEqual(300);
  });
});

describe('machine tokens (client_credentials)', () => {
  const machine = (body: Record<string, unknown>) =>
    createClient(world.server, world.tenant, { grantTypes: ['client_credentials'], redirectUris: [], ...body });

  it('carry only the resource scopes the client registered', async () => {
    const reader = await machine({ allowedResources: [ORDERS], scopes: ['read:orders'] });
    const answer = await clientCredentials(reader, { resource: ORDERS, scope: 'read:orders write:orders' });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('read:orders');
    const { payload } = await jwtVerify(answer.body.access_token as string, createRemoteJWKSet(new URL(`${issuer()}/jwks`)), {
      issuer: issuer(),
      audience: ORDERS,
    });
    expect(payload).toMatchObject({ client_id: reader.clientId, scope: 'read:orders' });
    expect(payload.sub).toBe(reader.clientId);
  });

  it('carry no resource scope for a client that registered none of them', async () => {
    const bare = await machine({ allowedResources: [ORDERS] });
    const answer = await clientCredentials(bare, { resource: ORDERS, scope: 'write:orders' });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBeUndefined();
  });

  it('are opaque and audience-less when no resource is named', async () => {
    const plain = await machine({});
    const answer = await clientCredentials(plain, {});
    expect(answer.status).toBe(200);
    expect((answer.body.access_token as string).split('.')).toHaveLength(1);
  });

  it('are refused with unauthorized_client (RFC 6749 §5.2) to a client not registered for the grant', async () => {
    const signInOnly = await createClient(world.server, world.tenant, {});
    const answer = await clientCredentials(signInOnly, {});
    expect(answer).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect(answer.body.access_token).toBeUndefined();
  });

  it('refuse a resource the client may not ask for', async () => {
    const plain = await machine({ scopes: ['read:orders'] });
    expect(await clientCredentials(plain, { resource: ORDERS, scope: 'read:orders' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_target' },
    });
  });
});
