import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import knexPkg, { type Knex } from 'knex';
import { PgLiteClient } from './pglite-client.js';
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

/** The embedded database's directory is already open in another live process. */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (is sump running on this DATA_DIR?). ` +
        `PGlite is single-process: stop that process first, or remove ${lockFile} if no such process uses it.`,
    );
    this.name = 'DatabaseInUseError';
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite neither locks its data directory nor notices a second process opening it, and two
 * processes writing one directory corrupt it. A pid file beside the directory (not inside it,
 * so a copy of the directory carries no lock) keeps it to one process; a lock whose process is
 * gone is taken over.
 */
function lockEmbeddedDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  const take = () => writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
  try {
    take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
      throw new DatabaseInUseError(dataDir, pid, lockFile);
    }
    rmSync(lockFile, { force: true });
    take();
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSync(lockFile, { force: true });
  };
  // A process that exits without destroying the database (a failed start) leaves no lock behind.
  process.on('exit', release);
  return release;
}

/**
 * Opens the embedded PostgreSQL (PGlite, one connection) or a pool on a real server. The
 * embedded directory is locked to this process until `destroy()`; another process that tries
 * gets a DatabaseInUseError.
 */
export function openDatabase(config: DatabaseConfig): Database {
  if (config.kind === 'embedded') {
    mkdirSync(path.dirname(config.dataDir), { recursive: true });
    const release = lockEmbeddedDataDir(config.dataDir);
    let db: Database;
    try {
      db = knexPkg.knex({
        client: PgLiteClient as unknown as typeof Knex.Client,
        dialect: 'postgres',
        connection: { filename: config.dataDir },
      } as Knex.Config);
    } catch (error) {
      release();
      throw error;
    }
    const client = db.client as { destroy(callback?: unknown): Promise<void> };
    const destroy = client.destroy.bind(client);
    client.destroy = async (callback?: unknown) => {
      try {
        await destroy(callback);
      } finally {
        release();
      }
    };
    return db;
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

export interface MigrationStatus {
  readonly applied: string[];
  readonly pending: string[];
}

/** Which migrations have run (in the order they ran) and which are still to run. */
export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const [completed, pending] = (await db.migrate.list({ migrationSource })) as [Array<{ name: string }>, string[]];
  return {
    applied: completed.map((entry) => entry.name),
    pending: pending.map((entry) => migrationSource.getMigrationName(entry)),
  };
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
