import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateDown, migrateLatest, migrationStatus, type Database } from '../../src/db/database.js';
import { migrationSource } from '../../src/db/migration-source.js';
import { openPrivateDatabase, type PrivateDatabase } from '../helpers/private-database.js';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** The tables of the public schema, knex's own bookkeeping left out. */
async function tables(db: Database): Promise<string[]> {
  const result = (await db.raw(
    `select table_name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'knex_migrations%'
     order by table_name`,
  )) as { rows: Array<{ table_name: string }> };
  return result.rows.map((row) => row.table_name);
}

describe('migrations', () => {
  // The round trip runs on a database of its own: on PostgreSQL the test database is shared by
  // every test file, and rolling it back would pull the schema from under them.
  let database: PrivateDatabase;
  beforeAll(async () => {
    database = await openPrivateDatabase({ prefix: 'migr', migrated: false });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('lists every file of migrations/ in the migration source, in timestamp order', async () => {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
      .map((file) => file.replace(/\.(ts|js)$/, ''))
      .sort();
    const listed = (await migrationSource.getMigrations([])).map((entry) => migrationSource.getMigrationName(entry));
    expect(listed).toEqual(files);
    for (const name of listed) expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
  });

  it('migrates an empty database up, rolls every migration back, and migrates up again', async () => {
    const { db } = database;
    const all = (await migrationSource.getMigrations([])).map((entry) => migrationSource.getMigrationName(entry));
    await expect(migrationStatus(db)).resolves.toEqual({ applied: [], pending: all });
    expect(await tables(db)).toEqual([]);

    await expect(migrateLatest(db)).resolves.toEqual(all);
    await expect(migrationStatus(db)).resolves.toEqual({ applied: all, pending: [] });
    const schema = await tables(db);
    expect(schema).toEqual(
      expect.arrayContaining([
        'api_sessions',
        'environment_accounts',
        'environments',
        'mail_outbox',
        'oidc_artifacts',
        'oidc_clients',
        'signing_keys',
        'system_values',
        'tenant_accounts',
        'tenants',
      ]),
    );
    await expect(migrateLatest(db)).resolves.toEqual([]);

    // Down one at a time, newest first, until nothing is left.
    const reverted: string[] = [];
    for (let step = 0; step <= all.length; step += 1) {
      const names = await migrateDown(db);
      if (names.length === 0) break;
      reverted.push(...names);
    }
    expect(reverted).toEqual([...all].reverse());
    await expect(migrationStatus(db)).resolves.toEqual({ applied: [], pending: all });
    expect(await tables(db)).toEqual([]);
    await expect(migrateDown(db)).resolves.toEqual([]);

    await expect(migrateLatest(db)).resolves.toEqual(all);
    expect(await tables(db)).toEqual(schema);
    await expect(migrationStatus(db)).resolves.toEqual({ applied: all, pending: [] });
  });
});
