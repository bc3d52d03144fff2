import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import type { Database } from './database.js';

const CHANNEL = 'sump_environment_changed';
const RECONNECT_DELAY_MS = 1000;

/**
 * Tells every node that an environment changed (a key, a setting, a client), so each drops its
 * cached issuer: PostgreSQL LISTEN/NOTIFY on a server, an in-process call on the embedded
 * database (one process only).
 */
export interface ChangeFeed {
  /** Announces a change; this node's subscribers hear it at once, the others within a second. */
  environmentChanged(environmentId: string): Promise<void>;
  subscribe(listener: (environmentId: string) => void): void;
  close(): Promise<void>;
}

interface FeedLogger {
  warn(object: object, message: string): void;
}

export function createChangeFeed(options: {
  db: Database;
  database: DatabaseConfig;
  logger: FeedLogger;
  /** Listen for other nodes' changes (false in processes that only write, e.g. scripts). */
  listen?: boolean;
}): ChangeFeed {
  const listeners: Array<(environmentId: string) => void> = [];
  const deliver = (environmentId: string) => {
    for (const listener of listeners) listener(environmentId);
  };

  if (options.database.kind === 'embedded') {
    return {
      async environmentChanged(environmentId) {
        deliver(environmentId);
      },
      subscribe: (listener) => void listeners.push(listener),
      close: async () => undefined,
    };
  }

  const connectionString = options.database.connectionString;
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString, application_name: 'sump-listen' });
    next.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) deliver(message.payload);
    });
    next.on('error', (error) => {
      options.logger.warn({ err: error }, 'change feed connection lost; reconnecting');
      void next.end().catch(() => undefined);
      if (client === next) client = undefined;
      schedule();
    });
    try {
      await next.connect();
      await next.query(`listen ${CHANNEL}`);
      client = next;
    } catch (error) {
      options.logger.warn({ err: error }, 'change feed could not listen; retrying');
      void next.end().catch(() => undefined);
      schedule();
    }
  };
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, RECONNECT_DELAY_MS);
    timer.unref();
  };
  if (options.listen !== false) void connect();

  return {
    async environmentChanged(environmentId) {
      // Here at once, whatever happens to the notification.
      deliver(environmentId);
      await options.db.raw('select pg_notify(?, ?)', [CHANNEL, environmentId]);
    },
    subscribe: (listener) => void listeners.push(listener),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
