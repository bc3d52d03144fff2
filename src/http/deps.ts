import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { IssuerRegistry } from '../oidc/issuer-registry.js';
import type { Services } from '../services/index.js';

/** What the HTTP layer is built from. */
export interface HttpDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly services: Services;
  readonly issuers: IssuerRegistry;
}
