import type { Database } from './db/database.js';
import { deleteExpiredApiSessions } from './db/queries/api-sessions.js';
import { deleteExpiredLinkTokens } from './db/queries/link-tokens.js';
import { deleteExpiredArtifacts } from './db/queries/oidc-artifacts.js';
import { deleteExpiredRateLimitCounters } from './db/queries/rate-limits.js';
import { deleteExpiredSigningKeys } from './db/queries/signing-keys.js';
import type { Logger } from './logger.js';
import type { IssuerRegistry } from './oidc/issuer-registry.js';
import type { Services } from './services/index.js';

const CLEANUP_INTERVAL_MS = 60_000;
const MAIL_INTERVAL_MS = 2_000;
/** Forgot-password and resend requests become links and mails within about this long. */
const LINK_REQUEST_INTERVAL_MS = 1_000;

const EXPIRED_ROW_DELETERS = [
  deleteExpiredArtifacts,
  deleteExpiredApiSessions,
  deleteExpiredRateLimitCounters,
  deleteExpiredLinkTokens,
  // Retired keys that left the JWKS: what they signed has expired, nothing needs them.
  deleteExpiredSigningKeys,
];

/** Deletes expired artefacts, API sessions, counters, links and keys in bounded batches until none is left. */
export async function deleteExpiredRows(db: Database, now = new Date()): Promise<number> {
  let total = 0;
  for (const deleteBatch of EXPIRED_ROW_DELETERS) {
    for (;;) {
      const deleted = await deleteBatch(db, now);
      total += deleted;
      if (!(deleted > 0)) break;
    }
  }
  return total;
}

/**
 * Periodic work of one node: recorded link requests processed (with or without SMTP: without
 * it their mails wait in the outbox for `npm run outbox`); mails sent from the outbox; expired
 * artefacts and sessions removed.
 */
export function startBackgroundTasks(deps: {
  db: Database;
  logger: Logger;
  services: Services;
  issuers: IssuerRegistry;
}): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await deleteExpiredRows(deps.db);
      if (deleted > 0) deps.logger.debug({ deleted }, 'expired rows removed');
    } catch (error) {
      deps.logger.warn({ err: error }, 'clean-up of expired rows failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), CLEANUP_INTERVAL_MS);
  timer.unref();

  let sending = false;
  const send = async () => {
    if (sending) return;
    sending = true;
    try {
      await deps.services.mail.deliverDue();
    } catch (error) {
      deps.logger.warn({ err: error }, 'sending mail failed; will retry');
    } finally {
      sending = false;
    }
  };
  let processing = false;
  const processRequests = async () => {
    if (processing) return;
    processing = true;
    try {
      await deps.services.linkRequests.processLinkRequests();
    } catch (error) {
      deps.logger.warn({ err: error }, 'processing link requests failed; will retry');
    } finally {
      processing = false;
    }
  };
  const linkRequestTimer = setInterval(() => void processRequests(), LINK_REQUEST_INTERVAL_MS);
  linkRequestTimer.unref();

  const mailTimer = deps.services.mail.delivering ? setInterval(() => void send(), MAIL_INTERVAL_MS) : undefined;
  mailTimer?.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(linkRequestTimer);
      if (mailTimer) clearInterval(mailTimer);
    },
  };
}
