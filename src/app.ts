import Koa from 'koa';
import type { Config } from './config/config.js';
import { createChangeFeed } from './db/change-feed.js';
import type { Database } from './db/database.js';
import { createApiRouter } from './http/api/index.js';
import type { AppState } from './http/context.js';
import type { HttpDeps } from './http/deps.js';
import { koaProblemJson } from './http/middleware/problem-json.js';
import { koaRequestContext } from './http/middleware/request-context.js';
import { koaSecurityHeaders } from './http/middleware/security-headers.js';
import { createOpsRouter } from './http/ops.js';
import { createOidcRouter } from './http/pages/index.js';
import { createProviderPages } from './http/pages/provider-pages.js';
import { createTenantPages } from './http/pages/tenant-pages.js';
import { createViews } from './http/pages/views.js';
import { koaInsertedMetadata } from './http/well-known.js';
import { koaPublicOrigin } from './http/middleware/public-origin.js';
import type { Logger } from './logger.js';
import { deriveCookieKeys } from './services/crypto.js';
import { createIssuerRegistry, type IssuerRegistry } from './oidc/issuer-registry.js';
import { createServices, type Services } from './services/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
}

export interface SumpApp {
  readonly koa: Koa<AppState>;
  readonly services: Services;
  readonly issuers: IssuerRegistry;
  /** Ends what the app holds open besides the database (the change feed, the SMTP transport). */
  close(): Promise<void>;
}

/** Builds the whole HTTP application without listening: tests build it directly. */
export function createApp(deps: AppDeps): SumpApp {
  const services = createServices(deps);
  const views = createViews();
  const changes = createChangeFeed({ db: deps.db, database: deps.config.database, logger: deps.logger });
  const issuers = createIssuerRegistry({
    changes,
    config: deps.config,
    db: deps.db,
    logger: deps.logger,
    services,
    pages: createProviderPages(views),
  });
  const http: HttpDeps = { config: deps.config, logger: deps.logger, services, issuers };

  const koa = new Koa<AppState>({ proxy: deps.config.trustProxy });
  // The same keys as every environment's provider, so cookies signed there verify here.
  koa.keys = deriveCookieKeys(deps.config.authSecret, deps.config.authSecretPrevious);
  koa.silent = true;

  koa.use(koaPublicOrigin(deps.config.publicUrl));
  koa.use(koaRequestContext(deps.logger));
  koa.use(koaSecurityHeaders());
  const api = createApiRouter(http);
  koa.use(api.routes()).use(api.allowedMethods());
  const ops = createOpsRouter(http);
  koa.use(ops.routes());
  // The pages tenant accounts reach from a mail (/tenants/:tenantId/reset-password).
  koa.use(createTenantPages({ ...http, views }));
  // RFC 8414's path-inserted metadata location: the issuer's discovery document.
  koa.use(koaInsertedMetadata());
  koa.use(createOidcRouter({ ...http, views }));
  // Anything no router answered: a problem+json 404.
  koa.use(koaProblemJson(deps.logger));

  const close = async () => {
    services.mail.close();
    await changes.close();
  };
  return { koa, services, issuers, close };
}
