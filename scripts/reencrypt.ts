/**
 * npm run reencrypt: moves every encrypted value at rest to the current AUTH_SECRET.
 *
 * Rotating AUTH_SECRET:
 *   1. start every node with AUTH_SECRET=<new> and AUTH_SECRET_PREVIOUS=<old>;
 *   2. run this command once with the same two variables (it can run while sump serves on
 *      PostgreSQL, and again if it was interrupted);
 *   3. remove AUTH_SECRET_PREVIOUS and restart the nodes.
 */
import { ConfigError, loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { createSecretBoxes } from '../src/services/index.js';
import { reencryptAll } from '../src/services/reencrypt.js';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.authSecretPrevious) {
    throw new Error(
      'AUTH_SECRET_PREVIOUS is not set: set AUTH_SECRET to the new secret and AUTH_SECRET_PREVIOUS to the old one',
    );
  }
  if (config.authSecretPrevious === config.authSecret) {
    throw new Error('AUTH_SECRET_PREVIOUS is the same as AUTH_SECRET: nothing to do');
  }
  const db = openDatabase(config.database);
  try {
    const report = await reencryptAll({ db, boxes: createSecretBoxes(config) });
    console.log('table.column                          examined  re-encrypted  already current  failed');
    for (const row of report) {
      console.log(
        `${`${row.table}.${row.column}`.padEnd(36)}  ${String(row.examined).padStart(8)}  ${String(row.reencrypted).padStart(12)}  ${String(row.alreadyCurrent).padStart(15)}  ${String(row.failed).padStart(6)}`,
      );
    }
    const failed = report.reduce((sum, row) => sum + row.failed, 0);
    if (failed > 0) {
      console.error(`${failed} value(s) could be decrypted by neither AUTH_SECRET nor AUTH_SECRET_PREVIOUS; they were left as they were.`);
      process.exitCode = 1;
      return;
    }
    console.log('Done: every value is under the current AUTH_SECRET. AUTH_SECRET_PREVIOUS can be removed once every node runs with the new secret.');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
  console.error(`reencrypt: ${message}`);
  process.exitCode = 1;
});
