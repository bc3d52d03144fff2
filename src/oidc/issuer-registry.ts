import type Provider from 'oidc-provider';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';

export interface IssuerRegistry {
  /** The environment's provider, built on first use and cached; undefined when it does not exist. */
  get(environmentId: string): Promise<Provider | undefined>;
  /** Drops a cached provider so the next request rebuilds it (a client, key or setting changed). */
  evict(environmentId: string): void;
}

export function createIssuerRegistry(_deps: {
  config: Config;
  db: Database;
  logger: Logger;
  services: Services;
}): IssuerRegistry {
  return {
    get: async () => undefined,
    evict: () => undefined,
  };
}
