import { createServer, type Server } from 'node:http';
import { createApp, type SumpApp } from './app.js';
import { startBackgroundTasks } from './background.js';
import type { Config } from './config/config.js';
import { migrateLatest, openDatabase } from './db/database.js';
import type { Logger } from './logger.js';

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use (set PORT to another one)`);
    this.name = 'PortInUseError';
  }
}

export interface RunningSump {
  /** The port it listens on (the configured one, or the one the system chose for PORT=0). */
  readonly port: number;
  readonly sump: SumpApp;
  /** Stops taking connections, ends the background work, closes the database. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    server.once('error', failed);
    server.listen(port, () => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Opens and migrates the database, builds the app, checks AUTH_SECRET against the database,
 * starts the background work and listens: what `npm start` and `npm run demo` both run.
 */
export async function startSump(config: Config, logger: Logger): Promise<RunningSump> {
  const db = openDatabase(config.database);
  try {
    const applied = await migrateLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const sump = createApp({ config, db, logger });
    await sump.services.startupCheck();
    const server = createServer(sump.koa.callback());
    server.keepAliveTimeout = 65_000;
    const port = await listen(server, config.port);
    const background = startBackgroundTasks({ db, logger, services: sump.services, issuers: sump.issuers });
    return {
      port,
      sump,
      async stop() {
        background.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await sump.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
}
