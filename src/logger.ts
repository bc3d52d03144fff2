import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/config.js';

export type { Logger };

/**
 * pino, with every place a secret could sit redacted: logs never carry passwords, codes,
 * tokens, id_token_hint, Authorization or Cookie values.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.newPassword',
        '*.currentPassword',
        '*.token',
        '*.code',
        '*.id_token_hint',
        '*.client_secret',
        '*.clientSecret',
      ],
      censor: '[redacted]',
    },
  };
  // `destination` (tests read what is logged); stdout otherwise.
  return destination ? pino(options, destination) : pino(options);
}
