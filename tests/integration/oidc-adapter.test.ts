import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deleteExpiredRows } from '../../src/background.js';
import type { EnvironmentScope } from '../../src/db/scope.js';
import { ArtifactAdapter, type ArtifactAdapterDeps } from '../../src/oidc/adapter.js';
import { createSecretBox } from '../../src/services/crypto.js';
import { openTestDatabase, type TestDatabase } from '../helpers/test-db.js';

/** The adapter contract oidc-provider relies on, on the real database. */
describe('oidc artefact adapter', () => {
  let database: TestDatabase;
  let scopeA: EnvironmentScope;
  let scopeB: EnvironmentScope;
  const box = createSecretBox({ secret: 'adapter-test-secret-adapter-test-secret', purpose: 'oidc-artifact' });
  const adapter = (model: string, scope: EnvironmentScope) =>
    new ArtifactAdapter(model, {
      db: database.db,
      scope,
      box,
      findClient: async () => undefined,
      refreshReuseGraceSeconds: 10,
    } as ArtifactAdapterDeps);

  async function makeEnvironment(): Promise<EnvironmentScope> {
    const tenantId = randomUUID();
    const environmentId = randomUUID();
    await database.db('tenants').insert({ id: tenantId, name: 'adapter test' });
    await database.db('environments').insert({ tenant_id: tenantId, id: environmentId, name: 'dev' });
    return { tenantId, environmentId };
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    scopeA = await makeEnvironment();
    scopeB = await makeEnvironment();
  });
  afterAll(async () => {
    await database.close();
  });

  it('finds what it stored, with the id put back, and never stores the id in clear', async () => {
    const id = `token-${randomUUID()}`;
    await adapter('AccessToken', scopeA).upsert(id, { jti: id, accountId: 'acc-1', grantId: 'g-1', kind: 'AccessToken' }, 60);
    expect(await adapter('AccessToken', scopeA).find(id)).toEqual({ jti: id, accountId: 'acc-1', grantId: 'g-1', kind: 'AccessToken' });
    const rows = await database.db('oidc_artifacts').where({ environment_id: scopeA.environmentId });
    expect(JSON.stringify(rows)).not.toContain(id);
  });

  it('is scoped: one environment never finds another’s artefact', async () => {
    const id = `code-${randomUUID()}`;
    await adapter('AuthorizationCode', scopeA).upsert(id, { jti: id, grantId: 'g-2' }, 60);
    expect(await adapter('AuthorizationCode', scopeB).find(id)).toBeUndefined();
    expect(await adapter('AccessToken', scopeA).find(id)).toBeUndefined();
  });

  it('finds a session by uid, its id decrypted from the encrypted copy', async () => {
    const id = `session-${randomUUID()}`;
    const uid = `uid-${randomUUID()}`;
    await adapter('Session', scopeA).upsert(id, { jti: id, uid, accountId: 'acc-2' }, 60);
    expect(await adapter('Session', scopeA).findByUid(uid)).toEqual({ jti: id, uid, accountId: 'acc-2' });
    expect(await adapter('Session', scopeB).findByUid(uid)).toBeUndefined();
  });

  it('finds a device code by user code, stored hashed', async () => {
    const id = `device-${randomUUID()}`;
    await adapter('DeviceCode', scopeA).upsert(id, { jti: id, userCode: 'ABCD-EFGH' }, 60);
    expect(await adapter('DeviceCode', scopeA).findByUserCode('ABCD-EFGH')).toMatchObject({ jti: id });
    const row = await database.db('oidc_artifacts').where({ model: 'DeviceCode', environment_id: scopeA.environmentId }).first();
    expect(row.user_code_hash).not.toBe('ABCD-EFGH');
  });

  it('marks consumption, destroys, and revokes everything of a grant', async () => {
    const code = `code-${randomUUID()}`;
    const token = `at-${randomUUID()}`;
    const grantId = `grant-${randomUUID()}`;
    await adapter('AuthorizationCode', scopeA).upsert(code, { jti: code, grantId }, 60);
    await adapter('AccessToken', scopeA).upsert(token, { jti: token, grantId }, 60);
    await adapter('Grant', scopeA).upsert(grantId, { jti: grantId, accountId: 'acc-3' }, 60);

    await adapter('AuthorizationCode', scopeA).consume(code);
    expect(await adapter('AuthorizationCode', scopeA).find(code)).toMatchObject({ consumed: expect.any(Number) });

    await adapter('AccessToken', scopeA).revokeByGrantId(grantId);
    expect(await adapter('AuthorizationCode', scopeA).find(code)).toBeUndefined();
    expect(await adapter('AccessToken', scopeA).find(token)).toBeUndefined();
    expect(await adapter('Grant', scopeA).find(grantId)).toBeUndefined();

    const other = `at-${randomUUID()}`;
    await adapter('AccessToken', scopeA).upsert(other, { jti: other }, 60);
    await adapter('AccessToken', scopeA).destroy(other);
    expect(await adapter('AccessToken', scopeA).find(other)).toBeUndefined();
  });

  it('does not answer expired artefacts, and the clean-up deletes them', async () => {
    const id = `expired-${randomUUID()}`;
    await adapter('AccessToken', scopeA).upsert(id, { jti: id }, 60);
    await database.db('oidc_artifacts').where({ environment_id: scopeA.environmentId }).update({ expires_at: new Date(Date.now() - 1000) });
    expect(await adapter('AccessToken', scopeA).find(id)).toBeUndefined();
    expect(await deleteExpiredRows(database.db)).toBeGreaterThan(0);
    const [{ n }] = (await database.db('oidc_artifacts').where({ environment_id: scopeA.environmentId }).count({ n: '*' })) as [{ n: string | number }];
    expect(Number(n)).toBe(0);
  });
});
