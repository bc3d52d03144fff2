/**
 * npm run outbox [-- --all | --limit N] [-- --to address]
 *
 * Prints the mails of the outbox, newest first (20 by default), with their text bodies, links
 * included: without SMTP_URL this is where the mails of a development machine go. It reads the
 * database, not the log, and decrypts the bodies with AUTH_SECRET. Forgot-password and
 * resend-verification requests the server has not processed yet (it does within a couple of
 * seconds; with the embedded database sump may have been stopped first) are processed before.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { DatabaseInUseError, openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { createSecretBoxes, createServices } from '../src/services/index.js';
import { terminalSafe } from './terminal-safe.js';

interface OutboxRecord {
  id: string;
  to_address: string;
  subject: string;
  body_encrypted: string;
  status: string;
  attempts: number;
  last_error: string | null;
  sent_at: Date | string | null;
  created_at: Date | string;
}

const USAGE = 'usage: npm run outbox [-- --all | --limit N] [--to address]';

function options() {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
      limit: { type: 'string', short: 'n' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive whole number; ${USAGE}`);
  return { all: values.all, limit, to: values.to, help: values.help };
}

const iso = (value: Date | string | null) => (value === null ? '' : new Date(value).toISOString());

async function main(): Promise<void> {
  const args = options();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const box = createSecretBoxes(config).mail;
  const db = openDatabase(config.database);
  try {
    const services = createServices({ config, db, logger: createLogger({ logLevel: 'warn' }) });
    const processed = await services.linkRequests.processLinkRequests({ limit: Number.MAX_SAFE_INTEGER });
    if (processed > 0) console.log(`${processed} pending forgot-password or resend-verification request(s) processed first.\n`);
    const query = db<OutboxRecord>('mail_outbox')
      .select('id', 'to_address', 'subject', 'body_encrypted', 'status', 'attempts', 'last_error', 'sent_at', 'created_at')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    if (args.to) query.where('to_address', args.to);
    if (!args.all) query.limit(args.limit);
    const mails = (await query) as OutboxRecord[];
    if (mails.length === 0) {
      console.log('The outbox is empty.');
      return;
    }
    for (const mail of mails) {
      let text: string;
      try {
        const body = JSON.parse(box.decrypt(mail.body_encrypted)) as { text?: string; html?: string };
        text = body.text ?? '(no text body)';
      } catch {
        text = '(cannot decrypt this body: is AUTH_SECRET the one it was written with?)';
      }
      const sent = mail.sent_at ? `, sent ${iso(mail.sent_at)}` : '';
      const error = mail.last_error ? `, last error: ${mail.last_error}` : '';
      console.log(terminalSafe(`──── ${iso(mail.created_at)}  ${mail.status} (${mail.attempts} attempt(s)${sent}${error})`));
      console.log(terminalSafe(`To:      ${mail.to_address}`));
      console.log(terminalSafe(`Subject: ${mail.subject}`));
      console.log('');
      console.log(terminalSafe(text.trimEnd()));
      console.log('');
    }
    console.log(`${mails.length} mail(s) shown, newest first${args.all ? '' : ` (at most ${args.limit}; --all for every one)`}.`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof DatabaseInUseError) {
    console.error(
      `outbox: sump (process ${error.pid}) has the embedded database in ${error.dataDir} open, and PGlite serves one process at a time.\n` +
        'Stop sump, run npm run outbox, then start sump again (or run sump on PostgreSQL with DATABASE_URL, where both can run at once).',
    );
  } else if (error instanceof ConfigError) {
    console.error(`outbox: configuration error: ${error.message}`);
  } else {
    console.error(`outbox: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
});
