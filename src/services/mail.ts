import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/config.js';
import type { Database, Queryable } from '../db/database.js';
import { claimDueMails, insertOutboxMail, markMailAttemptFailed, markMailSent } from '../db/queries/mail-outbox.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from './crypto.js';

export interface MailMessage {
  readonly tenantId: string;
  readonly environmentId?: string | null;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailService {
  /**
   * Writes a mail to the outbox, in the caller's transaction: no request waits on SMTP, and a
   * mail is sent if and only if what caused it was committed. The body (it carries single-use
   * links) is encrypted at rest.
   */
  queue(db: Queryable, message: MailMessage): Promise<string>;
  /**
   * Runs the producers first (they queue mails: the background link requests), then sends what
   * is due (no sending without SMTP_URL: mails then stay in the outbox, `npm run outbox`).
   */
  deliverDue(now?: Date): Promise<{ sent: number; failed: number }>;
  /** Adds work that queues mails, run at the start of every `deliverDue` (a failure is logged). */
  addProducer(produce: MailProducer): void;
  readonly delivering: boolean;
  close(): void;
}

/** Work that queues mails of its own (in its own transactions), run before each delivery. */
export type MailProducer = () => Promise<unknown>;

const BATCH = 20;
const LEASE_SECONDS = 120;
const MAX_ATTEMPTS = 8;

/** The outbox's subject column holds 255 characters. */
const SUBJECT_MAX_CHARACTERS = 255;

/**
 * The subject as the outbox can hold it: a subject naming a tenant or environment of 255
 * characters is longer than that, so it is cut (by code points, with an ellipsis) instead of
 * failing the request that sends it.
 */
export function fitSubject(subject: string): string {
  const characters = [...subject];
  return characters.length <= SUBJECT_MAX_CHARACTERS ? subject : `${characters.slice(0, SUBJECT_MAX_CHARACTERS - 1).join('')}…`;
}

/** 30 s, 1 min, 2 min … capped at an hour. */
const backoffSeconds = (attempts: number) => Math.min(3600, 30 * 2 ** attempts);

export function createMailService(deps: {
  db: Database;
  box: SecretBox;
  config: Pick<Config, 'smtpUrl' | 'mailFrom'>;
  logger: Logger;
  transport?: Transporter;
}): MailService {
  const { db, box, logger } = deps;
  const transport = deps.transport ?? (deps.config.smtpUrl ? nodemailer.createTransport(deps.config.smtpUrl) : undefined);
  const producers: MailProducer[] = [];

  return {
    async queue(queryable, message) {
      const id = await insertOutboxMail(queryable, {
        tenantId: message.tenantId,
        environmentId: message.environmentId ?? null,
        to: message.to,
        subject: fitSubject(message.subject),
        bodyEncrypted: box.encrypt(JSON.stringify({ text: message.text, html: message.html })),
      });
      // Never the link or the body: they carry single-use tokens.
      logger.info({ mailId: id, tenantId: message.tenantId }, 'mail queued');
      return id;
    },
    addProducer(produce) {
      producers.push(produce);
    },
    async deliverDue(at) {
      for (const produce of producers) {
        try {
          await produce();
        } catch (error) {
          logger.warn({ err: error }, 'producing mail failed; will retry');
        }
      }
      // Read after the producers ran: the mails they have just queued are due too.
      const now = at ?? new Date();
      if (!transport) return { sent: 0, failed: 0 };
      const mails = await db.transaction((trx) => claimDueMails(trx, now, BATCH, LEASE_SECONDS));
      let sent = 0;
      let failed = 0;
      for (const mail of mails) {
        try {
          const body = JSON.parse(box.decrypt(mail.bodyEncrypted)) as { text: string; html: string };
          await transport.sendMail({ from: deps.config.mailFrom, to: mail.to, subject: mail.subject, text: body.text, html: body.html });
          await markMailSent(db, mail, new Date());
          sent += 1;
        } catch (error) {
          failed += 1;
          const attempts = mail.attempts + 1;
          const retryAt = attempts < MAX_ATTEMPTS ? new Date(Date.now() + backoffSeconds(attempts) * 1000) : undefined;
          logger.warn({ mailId: mail.id, attempts, err: error }, retryAt ? 'mail not sent; will retry' : 'mail not sent; giving up');
          await markMailAttemptFailed(db, mail, error instanceof Error ? error.message : String(error), retryAt);
        }
      }
      return { sent, failed };
    },
    get delivering() {
      return transport !== undefined;
    },
    close() {
      transport?.close();
    },
  };
}
