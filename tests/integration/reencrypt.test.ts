import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createSecretBox } from '../../src/services/crypto.js';
import { resolveSettings } from '../../src/services/environment-settings.js';
import { createSecretBoxes, createServices, type SecretBoxes } from '../../src/services/index.js';
import { reencryptAll, ENCRYPTED_COLUMNS } from '../../src/services/reencrypt.js';
import { AuthSecretMismatchError, AUTH_SECRET_CANARY_KEY } from '../../src/services/secret-check.js';
import { openPrivateDatabase, type PrivateDatabase } from '../helpers/private-database.js';

const SECRET_A = 'reencrypt-test-secret-a-long-enough-0123456789';
const SECRET_B = 'reencrypt-test-secret-b-long-enough-9876543210';
const SECRET_C = 'reencrypt-test-secret-c-long-enough-5555555555';

const configWith = (authSecret: string, authSecretPrevious?: string) =>
  loadConfig({
    NODE_ENV: 'test',
    AUTH_SECRET: authSecret,
    ...(authSecretPrevious ? { AUTH_SECRET_PREVIOUS: authSecretPrevious } : {}),
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sump-reencrypt-test-')),
  });

/** Every encrypted value of the database, by table, as a box of `boxes` decrypts it. */
async function decryptAll(database: PrivateDatabase, boxes: SecretBoxes): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const target of ENCRYPTED_COLUMNS) {
    const query = database.db(target.table).whereNotNull(target.column).orderBy(target.key as string[]);
    if (target.where) query.where(target.where);
    const rows = (await query.select(target.column)) as Array<Record<string, string>>;
    result[target.table] = rows.map((row) => boxes[target.box].decrypt(String(row[target.column])));
  }
  return result;
}

describe('npm run reencrypt (reencryptAll)', () => {
  // It rewrites every row of five tables: on PostgreSQL that must not be the database the
  // other test files share, whose values are under their own secret.
  let database: PrivateDatabase;
  const boxesA = createSecretBoxes({ authSecret: SECRET_A, authSecretPrevious: undefined });
  const rotatedBoxes = createSecretBoxes({ authSecret: SECRET_B, authSecretPrevious: SECRET_A });
  const boxesB = createSecretBoxes({ authSecret: SECRET_B, authSecretPrevious: undefined });
  let before: Record<string, string[]>;

  beforeAll(async () => {
    database = await openPrivateDatabase({ prefix: 'reenc', migrated: true });
    const { db } = database;
    const logger = createLogger({ logLevel: 'silent' });
    // The canary, as a start with secret A writes it.
    await createServices({ config: configWith(SECRET_A), db, logger }).startupCheck();

    const signingKeys = createServices({ config: configWith(SECRET_A), db, logger }).signingKeys;
    for (const name of ['one', 'two', 'three']) {
      const [tenant] = (await db('tenants').insert({ name: `tenant ${name}` }).returning('id')) as Array<{ id: string }>;
      const [environment] = (await db('environments')
        .insert({ tenant_id: tenant!.id, name: 'dev' })
        .returning('id')) as Array<{ id: string }>;
      const scope = { tenantId: tenant!.id, environmentId: environment!.id };
      await db.transaction((trx) => signingKeys.createInitialKeys(trx, scope));
      for (const clientId of [`${name}-confidential-client`, `${name}-second-confidential`]) {
        await db('oidc_clients').insert({
          tenant_id: scope.tenantId,
          environment_id: scope.environmentId,
          client_id: clientId,
          name: clientId,
          grant_types: JSON.stringify(['authorization_code']),
          token_endpoint_auth_method: 'client_secret_basic',
          application_type: 'web',
          scopes: JSON.stringify(['openid']),
          secret_encrypted: boxesA.clientSecret.encrypt(`secret of ${clientId}`),
        });
      }
      await db('oidc_clients').insert({
        tenant_id: scope.tenantId,
        environment_id: scope.environmentId,
        client_id: `${name}-public-client-x`,
        name: 'public',
        grant_types: JSON.stringify(['authorization_code']),
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        scopes: JSON.stringify(['openid']),
        secret_encrypted: null,
      });
      await db('oidc_artifacts').insert([
        {
          ...{ tenant_id: scope.tenantId, environment_id: scope.environmentId },
          model: 'Session',
          id_hash: `${name}-session`.padEnd(64, '0'),
          payload: JSON.stringify({ kind: 'Session' }),
          id_encrypted: boxesA.oidcArtifact.encrypt(`session id ${name}`),
        },
        {
          ...{ tenant_id: scope.tenantId, environment_id: scope.environmentId },
          model: 'AccessToken',
          id_hash: `${name}-token`.padEnd(64, '0'),
          payload: JSON.stringify({ kind: 'AccessToken' }),
          id_encrypted: null,
        },
      ]);
      await db('mail_outbox').insert({
        tenant_id: scope.tenantId,
        environment_id: scope.environmentId,
        to_address: `${name}@example.com`,
        subject: 'Verify your email',
        body_encrypted: boxesA.mail.encrypt(JSON.stringify({ text: `link for ${name}`, html: '<p>link</p>' })),
      });
      // A forgot-password request of the tenant and a resend request of the environment, not yet processed.
      await db('link_requests').insert([
        {
          tenant_id: scope.tenantId,
          purpose: 'reset_password',
          identifier_encrypted: boxesA.linkRequest.encrypt(JSON.stringify({ kind: 'email', value: `${name}@example.com` })),
        },
        {
          tenant_id: scope.tenantId,
          environment_id: scope.environmentId,
          purpose: 'verify_email',
          identifier_encrypted: boxesA.linkRequest.encrypt(JSON.stringify({ kind: 'username', value: name })),
        },
      ]);
    }
    // One value already under the new secret (written by a node that already runs with it).
    const [tenant] = (await db('tenants').insert({ name: 'already current' }).returning('id')) as Array<{ id: string }>;
    await db('mail_outbox').insert({
      tenant_id: tenant!.id,
      to_address: 'current@example.com',
      subject: 'Written under B',
      body_encrypted: boxesB.mail.encrypt(JSON.stringify({ text: 'already B' })),
    });
    before = await decryptAll(database, rotatedBoxes);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('moves every encrypted column to the current secret, in batches, skipping current values', async () => {
    await expect(decryptAll(database, boxesB)).rejects.toThrow(/cannot decrypt/);

    const batches: string[] = [];
    const report = await reencryptAll({
      db: database.db,
      boxes: rotatedBoxes,
      batchSize: 2,
      onBatch: (counts) => batches.push(counts.table),
    });
    expect(report).toEqual([
      { table: 'oidc_clients', column: 'secret_encrypted', examined: 6, reencrypted: 6, alreadyCurrent: 0, failed: 0 },
      { table: 'signing_keys', column: 'private_jwk_encrypted', examined: 6, reencrypted: 6, alreadyCurrent: 0, failed: 0 },
      { table: 'oidc_artifacts', column: 'id_encrypted', examined: 3, reencrypted: 3, alreadyCurrent: 0, failed: 0 },
      { table: 'mail_outbox', column: 'body_encrypted', examined: 4, reencrypted: 3, alreadyCurrent: 1, failed: 0 },
      { table: 'link_requests', column: 'identifier_encrypted', examined: 6, reencrypted: 6, alreadyCurrent: 0, failed: 0 },
      { table: 'system_values', column: 'value', examined: 1, reencrypted: 1, alreadyCurrent: 0, failed: 0 },
    ]);
    // Six clients in batches of two: the walk went past the first batch.
    expect(batches.filter((table) => table === 'oidc_clients').length).toBeGreaterThanOrEqual(3);

    // Everything now opens with the new secret alone, to the same plaintexts.
    await expect(decryptAll(database, boxesB)).resolves.toEqual(before);
    await expect(decryptAll(database, boxesA)).rejects.toThrow(/cannot decrypt/);
  });

  it('lets sump start with the new secret alone', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    await expect(createServices({ config: configWith(SECRET_B), db: database.db, logger }).startupCheck()).resolves.toBeUndefined();
    await expect(createServices({ config: configWith(SECRET_A), db: database.db, logger }).startupCheck()).rejects.toThrow(
      AuthSecretMismatchError,
    );
    const environments = (await database.db('environments').select('tenant_id', 'id')) as Array<{ tenant_id: string; id: string }>;
    const signingKeys = createServices({ config: configWith(SECRET_B), db: database.db, logger }).signingKeys;
    for (const environment of environments) {
      const scope = { tenantId: environment.tenant_id, environmentId: environment.id };
      const { jwks } = await signingKeys.prepareIssuerKeys(database.db, scope, resolveSettings(undefined));
      expect(jwks.map((jwk) => jwk.alg).sort()).toEqual(['ES256', 'RS256']);
      for (const jwk of jwks) expect(jwk.d).toEqual(expect.any(String));
    }
  });

  it('is idempotent: a second run changes nothing', async () => {
    const snapshot = await database.db('mail_outbox').select('id', 'body_encrypted').orderBy('id');
    const report = await reencryptAll({ db: database.db, boxes: rotatedBoxes });
    for (const counts of report) {
      expect(counts.reencrypted).toBe(0);
      expect(counts.failed).toBe(0);
      expect(counts.alreadyCurrent).toBe(counts.examined);
    }
    await expect(database.db('mail_outbox').select('id', 'body_encrypted').orderBy('id')).resolves.toEqual(snapshot);
  });

  it('reports a value neither secret decrypts and leaves it as it was', async () => {
    const stranger = createSecretBox({ secret: SECRET_C, purpose: 'mail' }).encrypt(JSON.stringify({ text: 'from elsewhere' }));
    const [tenant] = (await database.db('tenants').insert({ name: 'stranger' }).returning('id')) as Array<{ id: string }>;
    await database.db('mail_outbox').insert({ tenant_id: tenant!.id, to_address: 'x@example.com', subject: 's', body_encrypted: stranger });

    const report = await reencryptAll({ db: database.db, boxes: rotatedBoxes });
    expect(report.find((counts) => counts.table === 'mail_outbox')).toMatchObject({ examined: 5, reencrypted: 0, alreadyCurrent: 4, failed: 1 });
    const row = (await database.db('mail_outbox').where({ tenant_id: tenant!.id }).first()) as { body_encrypted: string };
    expect(row.body_encrypted).toBe(stranger);
  });

  it('re-encrypts only the canary among the system values', async () => {
    await database.db('system_values').insert({ key: 'not_encrypted', value: 'plain text' });
    await reencryptAll({ db: database.db, boxes: createSecretBoxes({ authSecret: SECRET_A, authSecretPrevious: SECRET_B }) });
    const values = (await database.db('system_values').select('key', 'value').orderBy('key')) as Array<{ key: string; value: string }>;
    expect(values.find((value) => value.key === 'not_encrypted')?.value).toBe('plain text');
    const canary = values.find((value) => value.key === AUTH_SECRET_CANARY_KEY)?.value ?? '';
    expect(boxesA.signingKey.isCurrent(canary)).toBe(true);
  });
});
