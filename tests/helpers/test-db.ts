import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/db/database.js';

export interface TestDatabase {
  readonly db: Database;
  readonly kind: 'embedded' | 'postgres';
  close(): Promise<void>;
}

/** True when the suite runs against a real PostgreSQL (TEST_DATABASE_URL); never DATABASE_URL. */
export const onPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/**
 * The database of one test file: the shared PostgreSQL database (tests make their own tenants,
 * so files do not see each other's data), or a private copy of the migrated embedded template.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const db = openDatabase({ kind: 'postgres', connectionString: url });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const template = process.env.SUMP_TEST_TEMPLATE_DIR;
  if (!template) throw new Error('SUMP_TEST_TEMPLATE_DIR is not set: run the tests through jest (npm test)');
  return openTemporaryEmbeddedDatabase('test-db', template);
}

/**
 * A PGlite of its own in a new temporary directory (`sump-<prefix>-…`): a copy of `template` (a
 * data directory) when one is given, else a fresh one. Closing it removes the directory.
 */
export function openTemporaryEmbeddedDatabase(prefix: string, template?: string): TestDatabase {
  const root = mkdtempSync(path.join(tmpdir(), `sump-${prefix}-`));
  const dataDir = path.join(root, 'pglite');
  if (template) cpSync(template, dataDir, { recursive: true });
  const db = openDatabase({ kind: 'embedded', dataDir });
  return {
    db,
    kind: 'embedded',
    close: async () => {
      await db.destroy();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
