/**
 * npm run migrate            runs every pending migration
 * npm run migrate -- down    rolls the last one back
 * npm run migrate -- status  lists applied and pending migrations
 *
 * It uses the same configuration as sump itself (DATABASE_URL, DB_*, or the embedded database
 * under DATA_DIR). sump also migrates at start, so this is for operators and for rolling back.
 */
import { ConfigError, loadConfig } from '../src/config/config.js';
import { migrateDown, migrateLatest, migrationStatus, openDatabase, type Database } from '../src/db/database.js';

const USAGE = 'usage: npm run migrate [-- up | down | status]';

const COMMANDS = ['up', 'down', 'status'] as const;
type Command = (typeof COMMANDS)[number];

async function run(db: Database, command: Command): Promise<void> {
  switch (command) {
    case 'up': {
      const applied = await migrateLatest(db);
      console.log(applied.length === 0 ? 'Already up to date.' : `Applied:\n${applied.map((name) => `  ${name}`).join('\n')}`);
      return;
    }
    case 'down': {
      const reverted = await migrateDown(db);
      console.log(reverted.length === 0 ? 'Nothing to roll back.' : `Rolled back:\n${reverted.map((name) => `  ${name}`).join('\n')}`);
      return;
    }
    case 'status': {
      const { applied, pending } = await migrationStatus(db);
      for (const name of applied) console.log(`  applied  ${name}`);
      for (const name of pending) console.log(`  pending  ${name}`);
      console.log(`${applied.length} applied, ${pending.length} pending.`);
      return;
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const command = args[0] ?? 'up';
  if (args.length > 1 || !COMMANDS.includes(command as Command)) throw new Error(`unknown arguments "${args.join(' ')}"; ${USAGE}`);
  const config = loadConfig();
  const where = config.database.kind === 'embedded' ? `embedded database in ${config.database.dataDir}` : 'PostgreSQL';
  console.log(`Migrations on the ${where}.`);
  const db = openDatabase(config.database);
  try {
    await run(db, command as Command);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
  console.error(`migrate: ${message}`);
  process.exitCode = 1;
});
