import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseInUseError, openDatabase } from '../../src/db/database.js';

/** A private copy of the migrated template (the embedded database as sump leaves it). */
function copyOfTemplate(): { root: string; dataDir: string } {
  const template = process.env.SUMP_TEST_TEMPLATE_DIR;
  if (!template) throw new Error('SUMP_TEST_TEMPLATE_DIR is not set: run the tests through jest (npm test)');
  const root = mkdtempSync(path.join(tmpdir(), 'sump-lock-test-'));
  const dataDir = path.join(root, 'pglite');
  cpSync(template, dataDir, { recursive: true });
  return { root, dataDir };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

// PGlite does not notice a second process opening its directory, and two writers corrupt it:
// openDatabase keeps a pid file beside the directory. Embedded pass only (tests/embedded/,
// see jest.config.js): nothing here touches TEST_DATABASE_URL, and without the migrated template each open would be a fresh PGlite.

describe('the embedded database is one process at a time', () => {
  it('holds a lock beside its directory while open, and drops it on destroy', async () => {
    const { root, dataDir } = copyOfTemplate();
    try {
      const db = openDatabase({ kind: 'embedded', dataDir });
      expect(readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.pid));
      await db.raw('select 1');
      await db.destroy();
      expect(existsSync(`${dataDir}.lock`)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a directory that a live process holds, naming it', () => {
    const { root, dataDir } = copyOfTemplate();
    try {
      // The jest parent is alive and is not this process.
      writeFileSync(`${dataDir}.lock`, `${process.ppid}\n`);
      let error: unknown;
      try {
        openDatabase({ kind: 'embedded', dataDir });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DatabaseInUseError);
      expect((error as DatabaseInUseError).pid).toBe(process.ppid);
      expect((error as Error).message).toMatch(new RegExp(`in use by process ${process.ppid}`));
      expect((error as Error).message).toContain(dataDir);
      // The holder's lock is left alone.
      expect(readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.ppid));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes over the lock of a process that is gone', async () => {
    const { root, dataDir } = copyOfTemplate();
    try {
      writeFileSync(`${dataDir}.lock`, `${deadPid()}\n`);
      const db = openDatabase({ kind: 'embedded', dataDir });
      expect(readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.pid));
      await expect(db.raw('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      await db.destroy();
      expect(existsSync(`${dataDir}.lock`)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('makes the parent of DATA_DIR/pglite when it does not exist yet', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sump-lock-test-'));
    const dataDir = path.join(root, 'not', 'there', 'pglite');
    try {
      const db = openDatabase({ kind: 'embedded', dataDir });
      expect(existsSync(`${dataDir}.lock`)).toBe(true);
      // PGlite makes only the last level of its directory itself.
      await expect(db.raw('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      await db.destroy();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
