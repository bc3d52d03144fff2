import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createSecretBox, type SecretBox } from './crypto.js';
import { createPasswordHasher, type PasswordHasher } from './passwords.js';
import { createSigningKeysService, type SigningKeysService } from './signing-keys.js';
import { createEnvironmentKeysService, type EnvironmentKeysService } from './environment-keys.js';
import { isDatabaseReachable } from '../db/database.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createMailService, type MailService } from './mail.js';
import { createRateLimiter, type RateLimiter } from './rate-limits.js';
import { checkAuthSecret } from './secret-check.js';
import { createApiSessionsService, type ApiSessionsService } from './api-sessions.js';
import { createApiKeysService, type ApiKeysService } from './api-keys.js';
import { createClientsService, type ClientsService } from './clients.js';
import { createApiResourcesService, type ApiResourcesService } from './api-resources.js';
import { createEnvironmentAccountsService, type EnvironmentAccountsService } from './environment-accounts.js';
import { createEnvironmentAuthService, type EnvironmentAuthService } from './environment-auth.js';
import { createEnvironmentsService, type EnvironmentsService } from './environments.js';
import { createTenantAccountsService, type TenantAccountsService } from './tenant-accounts.js';
import { createTenantAuthService, type TenantAuthService } from './tenant-auth.js';
import { createTenantsService, type TenantsService } from './tenants.js';
import { createLinkTokensService, type LinkTokensService } from './link-tokens.js';
import { createMailTemplates } from './mail-templates.js';
import { createPageSignup, type PageSignup } from './page-signup.js';
import { createPasswordLinksService, type PasswordLinksService } from './password-links.js';
import { createAuditService, type AuditService } from './audit.js';
import { createEmailVerificationService, type EmailVerificationService } from './email-verification.js';
import { createSessionEndings, type SessionEndings } from './session-endings.js';
import { createLinkRequestProcessor, createLinkRequestRecorder, type LinkRequestProcessor } from './link-requests.js';

export interface ServiceDeps {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
}

export interface SecretBoxes {
  readonly clientSecret: SecretBox;
  readonly signingKey: SecretBox;
  readonly oidcArtifact: SecretBox;
  readonly mail: SecretBox;
  /** The identifiers of forgot-password and resend-verification requests waiting to be processed. */
  readonly linkRequest: SecretBox;
}

/** Every service, built once from the app's dependencies; nothing here knows about koa. */
export interface Services {
  readonly hasher: PasswordHasher;
  readonly boxes: SecretBoxes;
  readonly signingKeys: SigningKeysService;
  readonly environmentKeys: EnvironmentKeysService;
  readonly apiResources: ApiResourcesService;
  readonly mail: MailService;
  readonly rateLimits: RateLimiter;
  readonly health: { isDatabaseReachable(): Promise<boolean> };
  readonly metrics: Metrics;
  readonly apiSessions: ApiSessionsService;
  readonly apiKeys: ApiKeysService;
  readonly tenants: TenantsService;
  readonly tenantAuth: TenantAuthService;
  readonly tenantAccounts: TenantAccountsService;
  readonly environments: EnvironmentsService;
  readonly environmentAuth: EnvironmentAuthService;
  readonly environmentAccounts: EnvironmentAccountsService;
  readonly clients: ClientsService;
  readonly linkTokens: LinkTokensService;
  readonly passwordLinks: PasswordLinksService;
  readonly emailVerification: EmailVerificationService;
  /** Turns recorded forgot-password and resend requests into links and mails (background, and each `mail.deliverDue()`). */
  readonly linkRequests: LinkRequestProcessor;
  /** The hosted signup page's rules (a taken email answered as a new one). */
  readonly pageSignup: PageSignup;
  readonly audit: AuditService;
  /** Sign-ins ended by a password change, a reset, a disable or a delete: the OIDC layer listens. */
  readonly sessionEndings: SessionEndings;
  /** Stops start-up when AUTH_SECRET cannot decrypt what the database holds. */
  startupCheck(): Promise<void>;
}

export function createSecretBoxes(config: Pick<Config, 'authSecret' | 'authSecretPrevious'>): SecretBoxes {
  const box = (purpose: Parameters<typeof createSecretBox>[0]['purpose']) =>
    createSecretBox({ secret: config.authSecret, previousSecret: config.authSecretPrevious, purpose });
  return {
    clientSecret: box('client-secret'),
    signingKey: box('signing-key'),
    oidcArtifact: box('oidc-artifact'),
    mail: box('mail'),
    linkRequest: box('link-request'),
  };
}

export function createServices(deps: ServiceDeps): Services {
  const boxes = createSecretBoxes(deps.config);
  const hasher = createPasswordHasher(deps.config.argon2);
  const signingKeys = createSigningKeysService({ box: boxes.signingKey });
  const health = { isDatabaseReachable: () => isDatabaseReachable(deps.db) };
  const startupCheck = () => checkAuthSecret(deps.db, boxes.signingKey);
  const metrics = createMetrics();
  const { db } = deps;
  const apiSessions = createApiSessionsService({ db });
  const environments = createEnvironmentsService({ db, signingKeys });
  const apiResources = createApiResourcesService({ db });
  const rateLimiter = createRateLimiter({ db });
  const mail = createMailService({ db, box: boxes.mail, config: deps.config, logger: deps.logger });
  const linkTokens = createLinkTokensService();
  const templates = createMailTemplates();
  const linkRequestRecorder = createLinkRequestRecorder({ db, box: boxes.linkRequest });
  const emailVerification = createEmailVerificationService({
    config: deps.config,
    db,
    linkTokens,
    mail,
    templates,
    rateLimiter,
    linkRequests: linkRequestRecorder,
  });
  const sessionEndings = createSessionEndings({ logger: deps.logger });
  const passwordLinks = createPasswordLinksService({
    config: deps.config,
    db,
    hasher,
    linkTokens,
    mail,
    templates,
    rateLimiter,
    sessionEndings,
    linkRequests: linkRequestRecorder,
  });
  const linkRequests = createLinkRequestProcessor({
    db,
    box: boxes.linkRequest,
    logger: deps.logger,
    handlers: { reset_password: passwordLinks.sendResetLink, verify_email: emailVerification.resendVerificationLink },
  });
  // Whoever reads the mail through deliverDue (the sender, the tests) sees the links asked for.
  mail.addProducer(() => linkRequests.processLinkRequests());
  return {
    hasher,
    boxes,
    signingKeys,
    environmentKeys: createEnvironmentKeysService({ db, signingKeys }),
    health,
    metrics,
    apiSessions,
    apiKeys: createApiKeysService({ db }),
    tenants: createTenantsService({ config: deps.config, db, hasher, environments, apiSessions }),
    tenantAuth: createTenantAuthService({ db, hasher, apiSessions, metrics, rateLimiter, passwordLinks }),
    tenantAccounts: createTenantAccountsService({ db, hasher, passwordLinks, emailVerification }),
    environments,
    environmentAuth: createEnvironmentAuthService({ db, emailVerification, hasher, apiSessions, metrics, rateLimiter, sessionEndings, passwordLinks }),
    environmentAccounts: createEnvironmentAccountsService({ db, hasher, emailVerification, passwordLinks, sessionEndings, rateLimiter }),
    apiResources,
    rateLimits: rateLimiter,
    mail,
    linkTokens,
    passwordLinks,
    emailVerification,
    linkRequests,
    pageSignup: createPageSignup({ db, hasher, emailVerification, mail, templates, rateLimiter }),
    clients: createClientsService({ db, box: boxes.clientSecret, config: deps.config, apiResources }),
    audit: createAuditService({ db }),
    sessionEndings,
    startupCheck,
  };
}
