import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { sha256Hex } from '../../src/services/crypto.js';
import {
  createClient,
  createEnvironmentWithSettings,
  signupUser,
  startServerWithTenants,
  type ServerWithTenants,
  type TestClient,
  type TestUser,
} from '../helpers/fixtures.js';
import { authorizationRequest, discoverClient, newBrowser } from '../helpers/oidc.js';

/**
 * Codes and refresh tokens are single-use, also when requests race (on PostgreSQL they truly run
 * at once). Refresh tokens rotate on every use (DESIGN.md § OIDC). A rotated token used again
 * within `refreshReuseGraceSeconds` is accepted once more and revokes nothing (parallel tabs, a
 * lost answer); used later, or a second time, it is reuse: that one grant is revoked, nothing else.
 */

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

let world: ServerWithTenants;
let environmentId: string;
let client: TestClient;
let config: oidc.Configuration;
let user: TestUser;

/** A first-party sign-in through the hosted login page, with offline_access, up to the code. */
async function signInToCode() {
  const browser = newBrowser();
  const start = await authorizationRequest(config, { scope: 'openid offline_access', prompt: 'consent' });
  const login = await browser.follow(start.url.href);
  const afterLogin = await browser.submit(login, { identifier: user.email, password: user.password });
  const callback = afterLogin.url.startsWith('http://localhost:7777/')
    ? afterLogin
    : await browser.submit(afterLogin, {}, { button: { name: 'decision', value: 'allow' } });
  return { start, callback: new URL(callback.url) };
}

/** A fresh grant: signed in and the code redeemed. */
async function signIn(): Promise<Tokens> {
  const { start, callback } = await signInToCode();
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
  expect(tokens.refresh_token).toEqual(expect.any(String));
  return tokens;
}

/** The token endpoint's answer to a refresh, as a status and error code (openid-client throws). */
async function refresh(refreshToken: string): Promise<{ status: number; tokens?: Tokens; error?: string }> {
  try {
    return { status: 200, tokens: await oidc.refreshTokenGrant(config, refreshToken) };
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { status: error.status, error: error.error };
    throw error;
  }
}

async function introspect(token: string): Promise<boolean> {
  const answer = await oidc.tokenIntrospection(config, token);
  return answer.active;
}

/** Moves a refresh token's consumption into the past, as if `seconds` had gone by since. */
async function consumedSecondsAgo(refreshToken: string, seconds: number): Promise<void> {
  const moved = await world.server
    .db('oidc_artifacts')
    .where({ environment_id: environmentId, model: 'RefreshToken', id_hash: sha256Hex(refreshToken) })
    .whereNotNull('consumed_at')
    .update({ consumed_at: new Date(Date.now() - seconds * 1000) });
  expect(moved).toBe(1);
}

beforeAll(async () => {
  world = await startServerWithTenants();
  environmentId = await createEnvironmentWithSettings(world.server, world.tenant, {
    tokens: { refreshReuseGraceSeconds: 10 },
  });
  client = await createClient(world.server, world.tenant, { firstParty: true }, environmentId);
  config = await discoverClient(world.server, environmentId, client);
  user = await signupUser(world.server, environmentId);
});

afterAll(async () => {
  await world?.server.close();
});

describe('refresh-token rotation', () => {
  it('gives a new refresh token at every use, the old one no longer active', async () => {
    const first = await signIn();
    const second = await refresh(first.refresh_token as string);
    expect(second.status).toBe(200);
    expect(second.tokens?.refresh_token).toEqual(expect.any(String));
    expect(second.tokens?.refresh_token).not.toBe(first.refresh_token);
    expect(await introspect(first.refresh_token as string)).toBe(false);
    expect(await introspect(second.tokens?.refresh_token as string)).toBe(true);
  });

  it('accepts a rotated token once more within the grace period, revoking nothing', async () => {
    const first = await signIn();
    const rotated = await refresh(first.refresh_token as string);
    // The answer was lost, or a second tab refreshes with the token it still holds.
    const again = await refresh(first.refresh_token as string);
    expect(again.status).toBe(200);
    expect(again.tokens?.refresh_token).not.toBe(rotated.tokens?.refresh_token);
    // Both tokens issued from it still work.
    expect((await refresh(rotated.tokens?.refresh_token as string)).status).toBe(200);
    expect((await refresh(again.tokens?.refresh_token as string)).status).toBe(200);
  });

  it('treats a second use within the grace period as reuse: the grant is revoked', async () => {
    const first = await signIn();
    const rotated = await refresh(first.refresh_token as string);
    expect((await refresh(first.refresh_token as string)).status).toBe(200);
    const third = await refresh(first.refresh_token as string);
    expect(third).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect((await refresh(rotated.tokens?.refresh_token as string)).error).toBe('invalid_grant');
    expect(await introspect(rotated.tokens?.access_token as string)).toBe(false);
  });

  it('lets exactly one of several racing late uses through', async () => {
    const first = await signIn();
    await refresh(first.refresh_token as string);
    const answers = await Promise.all([1, 2, 3, 4].map(() => refresh(first.refresh_token as string)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.error === 'invalid_grant')).toHaveLength(3);
  });

  it('revokes the grant when a rotated token comes back after the grace period, and that grant only', async () => {
    const victim = await signIn();
    const bystander = await signIn();
    const rotated = await refresh(victim.refresh_token as string);
    await consumedSecondsAgo(victim.refresh_token as string, 11);

    expect(await refresh(victim.refresh_token as string)).toMatchObject({ status: 400, error: 'invalid_grant' });
    // Everything issued under the victim grant is gone…
    expect((await refresh(rotated.tokens?.refresh_token as string)).error).toBe('invalid_grant');
    expect(await introspect(rotated.tokens?.access_token as string)).toBe(false);
    expect(await introspect(victim.access_token)).toBe(false);
    // …while the same user's other grant lives on.
    expect(await introspect(bystander.access_token)).toBe(true);
    expect((await refresh(bystander.refresh_token as string)).status).toBe(200);
  });

  it('does not spend the grace on a refused use: another client presenting it, or a scope it was not granted', async () => {
    const first = await signIn();
    const rotated = await refresh(first.refresh_token as string);
    // Another client of the environment (a public one needs only its id) presents the token…
    const stranger = await createClient(world.server, world.tenant, { tokenEndpointAuthMethod: 'none' }, environmentId);
    const strangerConfig = await discoverClient(world.server, environmentId, stranger);
    await expect(oidc.refreshTokenGrant(strangerConfig, first.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    // …and the client itself asks for a scope the grant does not have.
    await expect(oidc.refreshTokenGrant(config, first.refresh_token as string, { scope: 'openid phone' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    // The grace is still there for the client's own retry, and nothing was revoked.
    expect((await refresh(first.refresh_token as string)).status).toBe(200);
    expect((await refresh(rotated.tokens?.refresh_token as string)).status).toBe(200);
  });

  it('does not spend the grace on an introspection of the rotated token', async () => {
    const first = await signIn();
    await refresh(first.refresh_token as string);
    expect(await introspect(first.refresh_token as string)).toBe(false);
    expect(await introspect(first.refresh_token as string)).toBe(false);
    expect((await refresh(first.refresh_token as string)).status).toBe(200);
  });

  it('lets a fresh refresh token used four times at once through twice (the use and its one grace), the rest reuse', async () => {
    const first = await signIn();
    const answers = await Promise.all([1, 2, 3, 4].map(() => refresh(first.refresh_token as string)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(2);
    expect(answers.filter((answer) => answer.error === 'invalid_grant')).toHaveLength(2);
  });

  it('gives no grace at all when refreshReuseGraceSeconds is 0', async () => {
    const strictEnvironment = await createEnvironmentWithSettings(world.server, world.tenant, {
      tokens: { refreshReuseGraceSeconds: 0 },
    });
    const strictClient = await createClient(world.server, world.tenant, { firstParty: true }, strictEnvironment);
    const strictConfig = await discoverClient(world.server, strictEnvironment, strictClient);
    const strictUser = await signupUser(world.server, strictEnvironment);
    const [savedConfig, savedUser] = [config, user];
    [config, user] = [strictConfig, strictUser];
    try {
      const first = await signIn();
      const rotated = await refresh(first.refresh_token as string);
      expect(await refresh(first.refresh_token as string)).toMatchObject({ status: 400, error: 'invalid_grant' });
      expect((await refresh(rotated.tokens?.refresh_token as string)).error).toBe('invalid_grant');
    } finally {
      [config, user] = [savedConfig, savedUser];
    }
  });
});

describe('authorization codes', () => {
  it('are redeemed once when five redemptions race: one 200, four invalid_grant', async () => {
    const { start, callback } = await signInToCode();
    const redeem = async () => {
      try {
        await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
        return 200;
      } catch (error) {
        if (error instanceof oidc.ResponseBodyError) return error.error;
        throw error;
      }
    };
    const answers = await Promise.all([1, 2, 3, 4, 5].map(redeem));
    expect(answers.filter((answer) => answer === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer === 'invalid_grant')).toHaveLength(4);
  });
});
