import type { Database } from './db/database.js';
import { deleteExpiredArtifacts } from './db/queries/oidc-artifacts.js';
import type { Logger } from './logger.js';
import type { IssuerRegistry } from './oidc/issuer-registry.js';
import type { Services } from './services/index.js';

const CLEANUP_INTERVAL_MS = 60_000;

/** Deletes expired rows in bounded batches until none is left; returns how many went. */
export async function deleteExpiredRows(db: Database, now = new Date()): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteExpiredArtifacts(db, now);
    total += deleted;
    if (!(deleted > 0)) return total;
  }
}

/** Periodic work of one node: expired oidc artefacts removed (the adapter has no expiry hook). */
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
      if (deleted > 0) deps.logger.debug({ deleted }, 'expired oidc artefacts removed');
    } catch (error) {
      deps.logger.warn({ err: error }, 'clean-up of expired rows failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), CLEANUP_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
