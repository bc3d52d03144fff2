import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { LRUCache } from 'lru-cache';
import Provider, { type FindAccount } from 'oidc-provider';
import type { Config } from '../config/config.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { findApiResourceByIdentifier } from '../db/queries/api-resources.js';
import { CLIENT_ID_PATTERN, findClientById } from '../db/queries/clients.js';
import { findEnvironmentAccountById } from '../db/queries/environment-accounts.js';
import { findEnvironmentById, type EnvironmentRow } from '../db/queries/environments.js';
import type { EnvironmentScope } from '../db/scope.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { isUnstorableInputError } from '../db/unstorable.js';
import type { Logger } from '../logger.js';
import { deriveCookieKeys } from '../services/crypto.js';
import { resolveSettings } from '../services/environment-settings.js';
import type { Services } from '../services/index.js';
import { accountClaims } from './account-claims.js';
import { ArtifactAdapter } from './adapter.js';
import { sendBackchannelLogouts } from './backchannel-logout.js';
import { buildProviderConfiguration, toClientMetadata, type ProviderPages } from './provider-config.js';

/** One environment's issuer: its provider, and that provider's middleware ready to run mounted. */
export interface Issuer {
  readonly environment: EnvironmentRow;
  readonly scope: EnvironmentScope;
  readonly provider: Provider;
  readonly issuerPath: string;
  readonly handle: Middleware;
  /** When its keys next change on their own (a successor published or signing, a key leaving). */
  readonly keysChangeAt: Date | undefined;
}

export interface IssuerRegistry {
  /** The environment's issuer, built on first use and cached; undefined when it does not exist. */
  get(environmentId: string): Promise<Issuer | undefined>;
  /**
   * An environment's keys, settings or clients changed: its cached issuer is dropped here at
   * once and on every other node within a second (the change feed), and rebuilt on next use.
   */
  evict(environmentId: string): Promise<void>;
  readonly size: number;
}

export interface IssuerRegistryDeps {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  readonly services: Services;
  readonly pages: ProviderPages;
  readonly changes: ChangeFeed;
  /** How many providers stay built at once; the rest are rebuilt on their next request. */
  readonly maxIssuers?: number;
  /** The clock (milliseconds since the epoch) of the key schedule and the cache; tests move it. */
  readonly clock?: () => number;
}

/** The longest a built issuer is kept, so that anything missed is picked up within the hour. */
const MAX_ISSUER_AGE_MS = 60 * 60 * 1000;
/** The shortest: an event already due (keys changed while it was built) is a rebuild soon after. */
const MIN_ISSUER_AGE_MS = 1000;

export const issuerPathOf = (environmentId: string) => `/oidc/${environmentId}`;

/**
 * One oidc-provider instance per active environment, built by one function from the
 * environment's row and kept in a bounded LRU: an environment costs nothing until it is used.
 */
export function createIssuerRegistry(deps: IssuerRegistryDeps): IssuerRegistry {
  const { config, db, logger, services } = deps;
  const cookieKeys = deriveCookieKeys(config.authSecret, config.authSecretPrevious);
  const secureCookies = config.publicUrl.startsWith('https://');
  const clock = deps.clock ?? Date.now;
  // Each entry lives until the earliest of an hour and its next key event (see get).
  const cache = new LRUCache<string, Promise<Issuer | undefined>>({
    max: deps.maxIssuers ?? 1000,
    ttl: MAX_ISSUER_AGE_MS,
    perf: { now: clock },
    // Read the clock at every look-up (the default reuses one reading for a millisecond).
    ttlResolution: 0,
  });
  deps.changes.subscribe((environmentId) => cache.delete(environmentId));

  async function build(environmentId: string): Promise<Issuer | undefined> {
    const environment = await findEnvironmentById(db, environmentId);
    if (!environment) return undefined;
    const scope = { tenantId: environment.tenantId, environmentId: environment.id };
    const settings = resolveSettings(environment.settings);
    // The key schedule is brought up to date here, lazily, under the environment's lock.
    const keys = await services.signingKeys.prepareIssuerKeys(db, scope, settings, new Date(clock()));
    // Keys were written: every node serves the new JWKS (this node rebuilds once more, harmlessly).
    if (keys.changed) await deps.changes.environmentChanged(environment.id);
    const issuerPath = issuerPathOf(environment.id);

    const findClient = async (clientId: string) => {
      if (!CLIENT_ID_PATTERN.test(clientId)) return undefined;
      const client = await findClientById(db, scope, clientId);
      if (!client || client.disabled) return undefined;
      const secret = client.secretEncrypted ? services.boxes.clientSecret.decrypt(client.secretEncrypted) : undefined;
      return toClientMetadata(client, secret);
    };
    const findAccount: FindAccount = async (_ctx, sub) => {
      const account = await findEnvironmentAccountById(db, scope, sub);
      if (!account || account.disabled) return undefined;
      return { accountId: account.id, claims: () => accountClaims(account) };
    };

    const provider = new Provider(
      `${config.publicUrl}${issuerPath}`,
      buildProviderConfiguration({
        issuerPath,
        settings,
        jwks: keys.jwks,
        cookieKeys,
        secureCookies,
        production: config.nodeEnv === 'production',
        adapter: (model) =>
          new ArtifactAdapter(model, {
            db,
            scope,
            box: services.boxes.oidcArtifact,
            findClient,
            refreshReuseGraceSeconds: settings.tokens.refreshReuseGraceSeconds,
          }),
        findAccount,
        findResource: (identifier) => findApiResourceByIdentifier(db, scope, identifier),
        pages: deps.pages,
      }),
    );
    provider.proxy = config.trustProxy;
    // An RP-initiated logout's back-channel delivery that failed (the provider sends those
    // itself): logged as the ones sump sends for other session endings are.
    provider.on('backchannel.error', (_ctx, error: Error, client: { clientId: string }) => {
      logger.warn({ err: error, environmentId, clientId: client.clientId }, 'back-channel logout failed');
    });
    provider.on('server_error', (ctx, error: Error) => {
      if (isUnstorableInputError(error)) {
        // Text the database cannot hold (a NUL) is the caller's error.
        if (ctx.response.is('json')) {
          ctx.status = 400;
          ctx.body = { error: 'invalid_request', error_description: 'the request holds characters that cannot be stored' };
        }
        return;
      }
      if (!isDatabaseUnavailable(error)) {
        logger.error({ err: error, environmentId }, 'oidc-provider server error');
        return;
      }
      logger.warn({ err: error, environmentId }, 'database unavailable');
      // The database is down: an OAuth client hears "try again", not "server error".
      if (ctx.response.is('json')) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = { error: 'temporarily_unavailable', error_description: 'try again shortly' };
      }
    });
    return {
      environment,
      scope,
      provider,
      issuerPath,
      handle: compose(provider.middleware) as Middleware,
      keysChangeAt: keys.nextEventAt,
    };
  }

  function get(environmentId: string): Promise<Issuer | undefined> {
    let entry = cache.get(environmentId);
    if (!entry) {
      entry = build(environmentId).then(
        (issuer) => {
          // An unknown id is not kept: it may be created a moment later.
          if (!issuer) cache.delete(environmentId);
          // Kept until its keys change on their own, unless it was evicted while being built.
          else if (issuer.keysChangeAt && cache.get(environmentId) === entry) {
            const untilChange = issuer.keysChangeAt.getTime() - clock();
            cache.set(environmentId, entry as Promise<Issuer | undefined>, {
              ttl: Math.min(MAX_ISSUER_AGE_MS, Math.max(MIN_ISSUER_AGE_MS, untilChange)),
            });
          }
          return issuer;
        },
        (error: unknown) => {
          cache.delete(environmentId);
          throw error;
        },
      );
      cache.set(environmentId, entry);
    }
    return entry;
  }

  // Sign-ins that ended without a logout (password change, reset, disable, delete): their
  // clients hear it by back-channel, signed by the environment's own provider.
  services.sessionEndings.subscribe(async (ended) => {
    const issuer = await get(ended.scope.environmentId);
    if (issuer && issuer.environment.tenantId === ended.scope.tenantId) {
      await sendBackchannelLogouts(issuer.provider, ended, logger);
    }
  });

  return {
    get,
    async evict(environmentId) {
      cache.delete(environmentId);
      await deps.changes.environmentChanged(environmentId);
    },
    get size() {
      return cache.size;
    },
  };
}
