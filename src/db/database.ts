import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { migrationSource } from './migration-source.js';

export type Database = Knex;
export type Transaction = Knex.Transaction;
/** A query runs on the database or inside a transaction; queries take either. */
export type Queryable = Knex | Knex.Transaction;

// PostgreSQL's bigint (count(*)) and numeric come back as strings from pg: keep them exact,
// and convert where a query reads them. timestamptz stays a Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

/** Opens the embedded PostgreSQL (PGlite, one connection) or a pool on a real server. */
export function openDatabase(config: DatabaseConfig): Database {
  if (config.kind === 'embedded') {
    return knexPkg.knex({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: { filename: config.dataDir },
    } as Knex.Config);
  }
  return knexPkg.knex({
    client: 'pg',
    connection: { connectionString: config.connectionString, application_name: 'sump' },
    pool: { min: 0, max: 10 },
  });
}

export async function migrateLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function migrateDown(db: Database): Promise<string[]> {
  const [, reverted] = (await db.migrate.down({ migrationSource })) as [number, string[]];
  return reverted;
}

/** Is the database reachable right now (readiness)? */
export async function isDatabaseReachable(db: Database): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
