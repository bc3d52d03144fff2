import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { PortInUseError, startSump } from './server.js';

/** Reads config, starts sump (database, migrations, app, listening), drains on SIGTERM. */
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

  let running;
  try {
    running = await startSump(config, logger);
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`sump: could not listen: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Before anything is printed: whoever reads the banner may stop sump at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    setTimeout(() => process.exit(0), 10_000).unref();
    void running.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const where = config.database.kind === 'embedded' ? `embedded PostgreSQL in ${config.database.dataDir}` : 'PostgreSQL';
  logger.info({ port: running.port, publicUrl: config.publicUrl }, `sump is listening on ${config.publicUrl} (${where})`);
  process.stdout.write(
    [
      '',
      `sump is serving on ${config.publicUrl}`,
      config.allowTenantSignup
        ? 'Create your first tenant (it makes the owner account and a first environment):'
        : 'Create your first tenant with the OPERATOR_TOKEN (ALLOW_TENANT_SIGNUP is off):',
      `  curl -s ${config.publicUrl}/api/v1/tenants -H 'Content-Type: application/json' -c cookies.txt \\`,
      ...(config.allowTenantSignup ? [] : ["    -H 'Authorization: Bearer <OPERATOR_TOKEN>' \\"]),
      `    -d '{"tenant":{"name":"My company"},"account":{"name":"Ada Lovelace","email":"ada@example.com","username":"ada","password":"a long passphrase"},"environment":{"name":"dev"}}'`,
      'The README walks on from there: register a client, sign a user up, point an OIDC client at the issuer.',
      '',
    ].join('\n'),
  );

}

void main().catch((error: unknown) => {
  process.stderr.write(`sump: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
