import { createServer } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { migrateLatest, openDatabase } from './db/database.js';
import { createLogger } from './logger.js';
import { startBackgroundTasks } from './background.js';

/** Reads config, opens and migrates the database, builds the app, listens, drains on SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sump: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  if (config.authSecretGenerated) {
    logger.warn(
      { dataDir: config.dataDir },
      'AUTH_SECRET is not set: using a generated secret kept in DATA_DIR (fine for a local try-out; set AUTH_SECRET for anything else)',
    );
  }
  if (config.nodeEnv === 'production' && !config.smtpUrl) {
    logger.warn('SMTP_URL is not set: mails stay in the outbox (npm run outbox) and are never delivered');
  }

  const db = openDatabase(config.database);
  const applied = await migrateLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  const sump = createApp({ config, db, logger });
  await sump.services.startupCheck();
  const background = startBackgroundTasks({ db, logger, services: sump.services, issuers: sump.issuers });

  const server = createServer(sump.koa.callback());
  server.keepAliveTimeout = 65_000;
  server.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${config.port} is already in use (set PORT to another one)` : error.message;
    process.stderr.write(`sump: could not listen: ${reason}\n`);
    process.exit(1);
  });
  server.listen(config.port, () => {
    const where = config.database.kind === 'embedded' ? `embedded PostgreSQL in ${config.database.dataDir}` : 'PostgreSQL';
    logger.info({ port: config.port, publicUrl: config.publicUrl }, `sump is listening on ${config.publicUrl} (${where})`);
    process.stdout.write(
      [
        '',
        `sump is serving on ${config.publicUrl}`,
        'Create your first tenant (it makes the owner account and a first environment):',
        `  curl -s ${config.publicUrl}/api/v1/tenants -H 'Content-Type: application/json' -c cookies.txt \\`,
        `    -d '{"tenant":{"name":"My company"},"account":{"name":"Ada Lovelace","email":"ada@example.com","username":"ada","password":"a long passphrase"},"environment":{"name":"dev"}}'`,
        'The README walks on from there: register a client, sign a user up, point an OIDC client at the issuer.',
        '',
      ].join('\n'),
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    background.stop();
    server.close(() => {
      void db.destroy().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((error: unknown) => {
  process.stderr.write(`sump: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
