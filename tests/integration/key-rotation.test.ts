import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import type { ChangeFeed } from '../../src/db/change-feed.js';
import { deleteExpiredSigningKeys } from '../../src/db/queries/signing-keys.js';
import { createProviderPages } from '../../src/http/pages/provider-pages.js';
import { createViews } from '../../src/http/pages/views.js';
import { createLogger } from '../../src/logger.js';
import { createIssuerRegistry, type IssuerRegistry } from '../../src/oidc/issuer-registry.js';
import { resolveSettings } from '../../src/services/environment-settings.js';
import {
  createClient,
  createEnvironmentWithSettings,
  createTenant,
  signupUser,
  type TestTenant,
} from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

interface KeyEntry {
  kid: string;
  alg: string;
  status: string;
  signsFrom: string;
  retiredAt: string | null;
  expiresAt: string | null;
}

/**
 * Scheduled rotation (keys.rotationDays) and the manual one, seen as a relying party sees them:
 * the served JWKS, the kid of new tokens, and old tokens verified through jose. Time passes by
 * moving the environment's key timestamps back in the database (as if that long had gone by),
 * then dropping the cached issuer; the schedule itself runs where it runs in production, when
 * the issuer is built.
 */
describe('signing-key rotation', () => {
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await server.close();
  });

  /** An environment with these settings, a first-party client that may ask for a JWT resource, and a user. */
  async function environment(settings: Record<string, unknown>, resourceTtl = 1200) {
    const environmentId = await createEnvironmentWithSettings(server, tenant, settings);
    const resource = `https://api.example/${environmentId}`;
    const created = await request(server.url)
      .post(`/api/v1/environments/${environmentId}/resources`)
      .set('Cookie', tenant.cookie)
      .send({ identifier: resource, name: 'Orders', scopes: ['read:orders'], accessTokenTtl: resourceTtl });
    expect(created.status).toBe(201);
    const client = await createClient(
      server,
      tenant,
      { firstParty: true, grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], allowedResources: [resource] },
      environmentId,
    );
    const user = await signupUser(server, environmentId);
    return { environmentId, resource, client, user, scope: { tenantId: tenant.tenantId, environmentId } };
  }
  type Environment = Awaited<ReturnType<typeof environment>>;

  /** As if `ms` had passed for the environment's keys; its issuer is rebuilt on next use. */
  async function passTime(environmentId: string, ms: number) {
    const back = (column: string) => server.db.raw(`${column} - (? * interval '1 millisecond')`, [ms]);
    await server.db('signing_keys')
      .where({ tenant_id: tenant.tenantId, environment_id: environmentId })
      .update({ signs_from: back('signs_from'), retired_at: back('retired_at'), expires_at: back('expires_at'), created_at: back('created_at') });
    await server.sump.issuers.evict(environmentId);
  }

  const jwksUrl = (environmentId: string) => new URL(`${issuerOf(server, environmentId)}/jwks`);
  async function servedKids(environmentId: string): Promise<string[]> {
    const answer = await fetch(jwksUrl(environmentId));
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { keys: Array<{ kid: string }> };
    return body.keys.map((key) => key.kid).sort();
  }
  async function listedKeys(environmentId: string): Promise<KeyEntry[]> {
    const answer = await request(server.url).get(`/api/v1/environments/${environmentId}/keys`).set('Cookie', tenant.cookie);
    expect(answer.status).toBe(200);
    return answer.body.items as KeyEntry[];
  }
  const statuses = (keys: KeyEntry[]) => keys.map((key) => `${key.alg}:${key.status}`).sort();
  const keyOf = (keys: KeyEntry[], alg: string, status: string) => {
    const key = keys.find((entry) => entry.alg === alg && entry.status === status);
    if (!key) throw new Error(`no ${alg} ${status} key in ${JSON.stringify(statuses(keys))}`);
    return key;
  };
  const rowCount = async (environmentId: string) =>
    (await server.db('signing_keys').where({ tenant_id: tenant.tenantId, environment_id: environmentId })).length;

  /** An ID token from a fresh sign-in through the code flow (RS256, the client's default). */
  async function idToken(env: Environment): Promise<string> {
    const config = await discoverClient(server, env.environmentId, env.client);
    const start = await authorizationRequest(config);
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    const callback = await browser.submit(login, { identifier: env.user.email, password: env.user.password });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    return tokens.id_token as string;
  }
  /** A JWT access token for the environment's API resource (client_credentials). */
  async function resourceToken(env: Environment): Promise<string> {
    const answer = await fetch(`${issuerOf(server, env.environmentId)}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${env.client.clientId}:${env.client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read:orders', resource: env.resource }).toString(),
    });
    const body = (await answer.json()) as Record<string, string>;
    expect(answer.status).toBe(200);
    return body.access_token as string;
  }
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  /** Verified as a relying party does: against the JWKS served now (a fresh, uncached set). */
  const verifyIdToken = (env: Environment, token: string) =>
    jwtVerify(token, createRemoteJWKSet(jwksUrl(env.environmentId)), { issuer: issuerOf(server, env.environmentId), audience: env.client.clientId });
  const verifyResourceToken = (env: Environment, token: string) =>
    jwtVerify(token, createRemoteJWKSet(jwksUrl(env.environmentId)), { issuer: issuerOf(server, env.environmentId), audience: env.resource });

  describe('on a schedule (rotationDays 30)', () => {
    let env: Environment;
    let first: KeyEntry[];
    let before: { idToken: string; accessToken: string };
    let next: KeyEntry[];
    // ID and access tokens live 10 minutes, the resource's 20: a retired key stays 20 min + 1 min.
    const retentionMs = 1200 * SECOND + MINUTE;

    beforeAll(async () => {
      env = await environment({ keys: { rotationDays: 30 }, tokens: { idTokenTtl: 600, accessTokenTtl: 600 } });
      first = await listedKeys(env.environmentId);
    });

    it('keeps the first keys until a day before the rotation is due', async () => {
      expect(statuses(first)).toEqual(['ES256:active', 'RS256:active']);
      await passTime(env.environmentId, 29 * DAY - MINUTE);
      expect(await servedKids(env.environmentId)).toEqual(first.map((key) => key.kid).sort());
      expect(statuses(await listedKeys(env.environmentId))).toEqual(['ES256:active', 'RS256:active']);
    });

    it('publishes the next key a day before it signs, while tokens are still signed by the old one', async () => {
      await passTime(env.environmentId, MINUTE);
      const keys = await listedKeys(env.environmentId);
      expect(statuses(keys)).toEqual(['ES256:active', 'ES256:next', 'RS256:active', 'RS256:next']);
      next = keys.filter((key) => key.status === 'next');
      for (const alg of ['RS256', 'ES256']) {
        const active = keyOf(keys, alg, 'active');
        const successor = keyOf(keys, alg, 'next');
        // At old.signsFrom + 30 days, a day from now; the moments this test took since the
        // environment was made aside: the schedule ran that late, and it never publishes less
        // than a day ahead (tests/unit/key-schedule.test.ts shows the exact date).
        const late = new Date(successor.signsFrom).getTime() - new Date(active.signsFrom).getTime() - 30 * DAY;
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(MINUTE);
        expect(new Date(successor.signsFrom).getTime()).toBeGreaterThan(Date.now() + DAY - MINUTE);
        expect(active.retiredAt).toBe(successor.signsFrom);
        expect(new Date(active.expiresAt as string).getTime()).toBe(new Date(successor.signsFrom).getTime() + retentionMs);
      }
      expect(await servedKids(env.environmentId)).toEqual(keys.map((key) => key.kid).sort());

      before = { idToken: await idToken(env), accessToken: await resourceToken(env) };
      expect(kidOf(before.idToken)).toBe(keyOf(first, 'RS256', 'active').kid);
      expect(kidOf(before.accessToken)).toBe(keyOf(first, 'RS256', 'active').kid);
      // Nothing more is written when nothing is due.
      await server.sump.issuers.evict(env.environmentId);
      expect(await servedKids(env.environmentId)).toHaveLength(4);
      expect(await rowCount(env.environmentId)).toBe(4);
    });

    it('signs with the new key from its start; what the old one signed still verifies through the JWKS', async () => {
      await passTime(env.environmentId, DAY);
      const keys = await listedKeys(env.environmentId);
      expect(statuses(keys)).toEqual(['ES256:active', 'ES256:retired', 'RS256:active', 'RS256:retired']);
      expect(keys.filter((key) => key.status === 'active').map((key) => key.kid).sort()).toEqual(next.map((key) => key.kid).sort());

      const after = { idToken: await idToken(env), accessToken: await resourceToken(env) };
      expect(kidOf(after.idToken)).toBe(keyOf(next, 'RS256', 'next').kid);
      expect(kidOf(after.accessToken)).toBe(keyOf(next, 'RS256', 'next').kid);
      for (const token of [before.idToken, after.idToken]) await expect(verifyIdToken(env, token)).resolves.toBeDefined();
      for (const token of [before.accessToken, after.accessToken]) await expect(verifyResourceToken(env, token)).resolves.toBeDefined();
    });

    it('drops the retired key from the JWKS once what it signed has expired, and deletes it a day later', async () => {
      await passTime(env.environmentId, retentionMs - 2 * MINUTE);
      expect(await servedKids(env.environmentId)).toContain(kidOf(before.idToken));
      await passTime(env.environmentId, 2 * MINUTE);
      const served = await servedKids(env.environmentId);
      expect(served).toEqual(next.map((key) => key.kid).sort());
      expect(statuses(await listedKeys(env.environmentId))).toEqual(['ES256:active', 'RS256:active']);
      await expect(verifyIdToken(env, before.idToken)).rejects.toThrow(/no applicable key/i);

      expect(await rowCount(env.environmentId)).toBe(4);
      await passTime(env.environmentId, DAY);
      await deleteExpiredSigningKeys(server.db, new Date());
      expect(await rowCount(env.environmentId)).toBe(2);
    });
  });

  it('the manual rotation signs with a new key at once, keeps the old one as long as a resource\u2019s tokens live, and withdraws a next key', async () => {
    // Regression: the kept time was the environment's token lifetimes only, not a resource's longer one.
    const env = await environment({ keys: { rotationDays: 30 } }, 7200);
    await passTime(env.environmentId, 29 * DAY + MINUTE);
    const scheduled = await listedKeys(env.environmentId);
    expect(statuses(scheduled)).toEqual(['ES256:active', 'ES256:next', 'RS256:active', 'RS256:next']);
    const oldToken = await resourceToken(env);
    const oldIdToken = await idToken(env);

    const rotatedAt = Date.now();
    const rotated = await request(server.url).post(`/api/v1/environments/${env.environmentId}/keys/rotate`).set('Cookie', tenant.cookie);
    expect(rotated.status).toBe(200);
    const keys = rotated.body.items as KeyEntry[];
    expect(statuses(keys)).toEqual(['ES256:active', 'ES256:retired', 'RS256:active', 'RS256:retired']);
    const kids = keys.map((key) => key.kid);
    for (const key of scheduled) {
      // The active ones retired; the ones published ahead never signed and are gone.
      expect(kids.includes(key.kid)).toBe(key.status === 'active');
    }
    for (const alg of ['RS256', 'ES256']) {
      const retired = keyOf(keys, alg, 'retired');
      expect(new Date(retired.expiresAt as string).getTime()).toBeGreaterThanOrEqual(rotatedAt + 7200 * SECOND);
    }

    const newKid = keyOf(keys, 'RS256', 'active').kid;
    expect(kidOf(await idToken(env))).toBe(newKid);
    expect(kidOf(await resourceToken(env))).toBe(newKid);
    await expect(verifyResourceToken(env, oldToken)).resolves.toBeDefined();
    await expect(verifyIdToken(env, oldIdToken)).resolves.toBeDefined();
    expect(await servedKids(env.environmentId)).toEqual(kids.sort());
  });

  it('with rotationDays 0 nothing rotates, and turning it off withdraws a next key', async () => {
    const env = await environment({});
    const first = await listedKeys(env.environmentId);
    await passTime(env.environmentId, 400 * DAY);
    expect(await servedKids(env.environmentId)).toEqual(first.map((key) => key.kid).sort());
    expect(statuses(await listedKeys(env.environmentId))).toEqual(['ES256:active', 'RS256:active']);
    expect(await rowCount(env.environmentId)).toBe(2);

    await server.db('environments').where({ id: env.environmentId }).update({ settings: JSON.stringify({ keys: { rotationDays: 30 } }) });
    await server.sump.issuers.evict(env.environmentId);
    expect(statuses(await listedKeys(env.environmentId))).toEqual(['ES256:active', 'ES256:next', 'RS256:active', 'RS256:next']);
    await server.db('environments').where({ id: env.environmentId }).update({ settings: JSON.stringify({ keys: { rotationDays: 0 } }) });
    await server.sump.issuers.evict(env.environmentId);
    const keys = await listedKeys(env.environmentId);
    expect(keys.map((key) => [key.kid, key.status, key.retiredAt, key.expiresAt]).sort()).toEqual(
      first.map((key) => [key.kid, 'active', null, null]).sort(),
    );
    expect(await servedKids(env.environmentId)).toEqual(first.map((key) => key.kid).sort());
  });

  it('a late schedule still publishes a day ahead; rotationDays 1 always has the next key published', async () => {
    const late = await environment({ keys: { rotationDays: 7 } });
    await passTime(late.environmentId, 90 * DAY);
    const keys = await listedKeys(late.environmentId);
    expect(new Date(keyOf(keys, 'RS256', 'next').signsFrom).getTime()).toBeGreaterThanOrEqual(Date.now() + DAY - MINUTE);
    expect(kidOf(await idToken(late))).toBe(keyOf(keys, 'RS256', 'active').kid);

    const daily = await environment({ keys: { rotationDays: 1 } });
    const firstDay = await listedKeys(daily.environmentId);
    expect(statuses(firstDay)).toEqual(['ES256:active', 'ES256:next', 'RS256:active', 'RS256:next']);
    await passTime(daily.environmentId, DAY);
    const secondDay = await listedKeys(daily.environmentId);
    expect(statuses(secondDay)).toEqual(['ES256:active', 'ES256:next', 'ES256:retired', 'RS256:active', 'RS256:next', 'RS256:retired']);
    expect(keyOf(secondDay, 'RS256', 'active').kid).toBe(keyOf(firstDay, 'RS256', 'next').kid);
  });

  describe('one successor, however many nodes race', () => {
    const registries: IssuerRegistry[] = [];
    const registry = (clock?: () => number) => {
      // Another node: its own cache; what it writes is seen by the others through the database.
      const feed: ChangeFeed = { environmentChanged: async () => undefined, subscribe: () => undefined, close: async () => undefined };
      const built = createIssuerRegistry({
        config: server.config,
        db: server.db,
        logger: createLogger(server.config),
        services: server.sump.services,
        pages: createProviderPages(createViews()),
        changes: feed,
        ...(clock ? { clock } : {}),
      });
      registries.push(built);
      return built;
    };
    const nextKeys = async (environmentId: string) =>
      server.db('signing_keys').where({ tenant_id: tenant.tenantId, environment_id: environmentId }).andWhere('signs_from', '>', new Date());

    it('two schedule runs of the service racing write one successor per algorithm', async () => {
      const env = await environment({ keys: { rotationDays: 30 } });
      await passTime(env.environmentId, 29 * DAY + MINUTE);
      const settings = resolveSettings({ keys: { rotationDays: 30 } });
      const runs = await Promise.all(
        Array.from({ length: 4 }, () => server.sump.services.signingKeys.prepareIssuerKeys(server.db, env.scope, settings)),
      );
      expect(runs.filter((run) => run.changed)).toHaveLength(1);
      expect((await nextKeys(env.environmentId)).map((row) => row.alg).sort()).toEqual(['ES256', 'RS256']);
      // Each run gives oidc-provider the signing keys first, the published-ahead ones after.
      for (const run of runs) {
        expect(run.jwks.map((key) => key.alg).slice(0, 2)).toEqual(['RS256', 'ES256']);
        expect(run.jwks.slice(0, 2).map((key) => key.kid)).not.toContain((await nextKeys(env.environmentId))[0]?.kid);
        expect(run.jwks).toHaveLength(4);
      }
    });

    it('two registries (nodes) building the issuer at once write one successor per algorithm', async () => {
      const env = await environment({ keys: { rotationDays: 30 } });
      await passTime(env.environmentId, 29 * DAY + MINUTE);
      const [a, b] = await Promise.all([registry().get(env.environmentId), registry().get(env.environmentId)]);
      expect(a?.provider).toBeDefined();
      expect(b?.provider).toBeDefined();
      expect((await nextKeys(env.environmentId)).map((row) => row.alg).sort()).toEqual(['ES256', 'RS256']);
      expect(await rowCount(env.environmentId)).toBe(4);
    });

    it('keeps a built issuer until its next key event, then rebuilds it', async () => {
      // Tokens live 10 minutes and the resource's 20: retired keys stay 21 minutes.
      const settings = { keys: { rotationDays: 30 }, tokens: { idTokenTtl: 600, accessTokenTtl: 600 } };
      const retentionMs = 1260 * SECOND;
      const env = await environment(settings);
      await passTime(env.environmentId, 29 * DAY + MINUTE);
      await server.sump.services.signingKeys.prepareIssuerKeys(server.db, env.scope, resolveSettings(settings));
      const [successor] = await nextKeys(env.environmentId);
      const startsAt = new Date(successor.signs_from).getTime();

      let now = startsAt - 10 * MINUTE;
      const node = registry(() => now);
      const beforeStart = await node.get(env.environmentId);
      expect(beforeStart?.keysChangeAt?.getTime()).toBe(startsAt);
      now = startsAt - SECOND;
      expect(await node.get(env.environmentId)).toBe(beforeStart);
      now = startsAt + SECOND;
      const afterStart = await node.get(env.environmentId);
      expect(afterStart).not.toBe(beforeStart);
      // Next: the retired keys leave the JWKS.
      expect(afterStart?.keysChangeAt?.getTime()).toBe(startsAt + retentionMs);
      now = startsAt + retentionMs - SECOND;
      expect(await node.get(env.environmentId)).toBe(afterStart);
      now = startsAt + retentionMs + SECOND;
      const afterExpiry = await node.get(env.environmentId);
      expect(afterExpiry).not.toBe(afterStart);
      expect(afterExpiry?.keysChangeAt?.getTime()).toBe(startsAt + 29 * DAY);
    });

    afterAll(() => {
      registries.length = 0;
    });
  });
});
