import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateLatest, openDatabase } from '../../src/db/database.js';

/**
 * Once per run: migrate the database the tests use. On PostgreSQL (TEST_DATABASE_URL) that is
 * the database itself; on the embedded one it is a template data directory that each test file
 * copies (a reopen costs ≈0.3 s, a fresh one ≈2 s).
 */
export async function prepareTestDatabase(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const db = openDatabase({ kind: 'postgres', connectionString: url });
    await migrateLatest(db);
    await db.destroy();
    return;
  }
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'sump-test-template-')), 'pglite');
  const db = openDatabase({ kind: 'embedded', dataDir: dir });
  await migrateLatest(db);
  await db.destroy();
  process.env.SUMP_TEST_TEMPLATE_DIR = dir;
}
