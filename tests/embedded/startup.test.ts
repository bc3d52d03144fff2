import { afterAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startScript, type ScriptRun } from '../helpers/child-process.js';

/**
 * sump as `npm start` runs it, but through tsx so the test needs no build: its own environment
 * only (no DATABASE_URL, no DB_*, no TEST_DATABASE_URL), so it is the embedded database.
 */
const startSump = (env: Record<string, string>): ScriptRun => startScript('src/main.ts', env);

// Embedded pass only (tests/embedded/, see jest.config.js): sump runs here on its own embedded
// database whatever TEST_DATABASE_URL says, so the PostgreSQL pass would only repeat it.

describe('starting sump with nothing configured', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sump-startup-test-'));
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves on the embedded database, prints how to begin, stops on SIGTERM, and refuses another AUTH_SECRET', async () => {
    const port = await freePort();
    const base = { PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'info' };

    const first = startSump(base);
    running.push(first.child);
    const printed = await first.waitFor('Create your first tenant', 40_000);
    expect(printed).toContain(`sump is serving on http://localhost:${port}`);
    expect(printed).toContain(`curl -s http://localhost:${port}/api/v1/tenants`);
    expect(printed).toContain('AUTH_SECRET is not set');

    const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toMatchObject({ status: 'ok' });
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(healthz.status).toBe(200);

    // The generated secret is kept, and the database is held by this process alone.
    expect(readFileSync(path.join(dataDir, 'auth-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(true);

    first.child.kill('SIGTERM');
    await expect(first.exited).resolves.toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);

    // Same data, another secret: it must stop with the clear message, not serve.
    const second = startSump({ ...base, AUTH_SECRET: 'a-different-secret-that-is-long-enough-42' });
    running.push(second.child);
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain('AUTH_SECRET does not match this database');
    expect(second.output()).toContain('AUTH_SECRET_PREVIOUS');
    expect(second.output()).not.toContain('Create your first tenant');
  }, 60_000);

  it('prints the operator-token way to begin when tenant signup is closed', async () => {
    const port = await freePort();
    const closed = startSump({
      PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sump-startup-closed-')),
      NODE_ENV: 'development',
      ALLOW_TENANT_SIGNUP: 'false',
      OPERATOR_TOKEN: 'an-operator-token-that-is-long-enough-0123',
    });
    running.push(closed.child);
    const printed = await closed.waitFor('"environment":{"name":"dev"}', 40_000);
    expect(printed).toContain('Create your first tenant with the OPERATOR_TOKEN (ALLOW_TENANT_SIGNUP is off):');
    expect(printed).toContain("-H 'Authorization: Bearer <OPERATOR_TOKEN>'");
    expect(printed).not.toContain('an-operator-token-that-is-long-enough-0123');
    closed.child.kill('SIGTERM');
    await expect(closed.exited).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});
