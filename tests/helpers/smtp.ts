import type { AddressInfo } from 'node:net';
import { openPrivateDatabase } from './private-database.js';
import { startTestServer, type TestServer } from './test-server.js';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

/** A real SMTP server in the test process: what sump sends arrives here, over TCP. */
export async function startSmtpServer(options: { failFirst?: number } = {}) {
  const received: ReceivedMail[] = [];
  let refusals = options.failFirst ?? 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        if (refusals > 0) {
          refusals -= 1;
          const error = Object.assign(new Error('try again later'), { responseCode: 451 });
          return callback(error);
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The database of a test file that sends mail. A sender delivers every due mail of its
 * database, whichever tenant queued it: on the PostgreSQL pass the test database is shared by
 * every file, so a file that sends mail gets a private database, or it would send (or steal)
 * the mails of the files running beside it.
 */
export const openMailTestDatabase = () => openPrivateDatabase({ prefix: 'mail', migrated: true });

/**
 * A sump that sends its mail to a real SMTP server of the test, on a private database (see
 * openMailTestDatabase); `close` ends all three.
 */
export async function startMailTestServer(options: { env?: Record<string, string>; failFirst?: number } = {}) {
  const database = await openMailTestDatabase();
  const smtp = await startSmtpServer({ failFirst: options.failFirst ?? 0 });
  let server: TestServer;
  try {
    server = await startTestServer({ database, env: { SMTP_URL: smtp.url, ...options.env } });
  } catch (error) {
    await smtp.close();
    await database.close();
    throw error;
  }
  return {
    server,
    smtp,
    async close() {
      await server.close();
      await smtp.close();
      await database.close();
    },
  };
}
