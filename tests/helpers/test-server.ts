import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type SumpApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Database } from '../../src/db/database.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { openTestDatabase, type TestDatabase } from './test-db.js';

export const TEST_AUTH_SECRET = 'test-auth-secret-that-is-long-enough-0123456789';

export interface TestServer {
  /** The base URL the server listens on, which is also its PUBLIC_URL. */
  readonly url: string;
  readonly config: Config;
  readonly db: Database;
  readonly sump: SumpApp;
  readonly server: Server;
  close(): Promise<void>;
}

/** The config tests run with: cheap argon2 (one test checks the production parameters). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    AUTH_SECRET: TEST_AUTH_SECRET,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ARGON2_PARALLELISM: '1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sump-test-data-')),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // On the PostgreSQL pass the app knows it is on a server (the change feed listens there).
    ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    ...env,
  });
}

/**
 * A real sump on a real HTTP port of 127.0.0.1, on the test database. PUBLIC_URL is the address
 * it listens on, so OIDC clients can follow every link it makes.
 */
export async function startTestServer(
  options: { env?: Record<string, string>; database?: TestDatabase; logger?: Logger } = {},
): Promise<TestServer> {
  const database = options.database ?? (await openTestDatabase());
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const config = testConfig({ PUBLIC_URL: url, PORT: String(port), ...options.env });
  const logger = options.logger ?? createLogger(config);
  const sump = createApp({ config, db: database.db, logger });
  await sump.services.startupCheck();
  server.on('request', sump.koa.callback());
  return {
    url,
    config,
    db: database.db,
    sump,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sump.close();
      if (!options.database) await database.close();
    },
  };
}
