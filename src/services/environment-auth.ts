import type { Database } from '../db/database.js';
import {
  deleteApiSessionsOfAccount,
  listApiSessionsOfAccount,
  type ApiSessionPosition,
  type ApiSessionRow,
} from '../db/queries/api-sessions.js';
import {
  findEnvironmentAccountById,
  updateEnvironmentAccount,
  findEnvironmentAccountByIdentifier,
  type EnvironmentAccountRow,
} from '../db/queries/environment-accounts.js';
import { findEnvironmentInTenant, type EnvironmentRow } from '../db/queries/environments.js';
import type { EnvironmentScope } from '../db/scope.js';
import { errors } from '../errors/codes.js';
import type { ApiSessionsService, IssuedSession, RequestMeta } from './api-sessions.js';
import { endEverySession, type SessionEndings } from './session-endings.js';
import type { PasswordLinksService } from './password-links.js';
import { assertPasswordPolicy, brandOfEnvironment, resolveSettings } from './environment-settings.js';
import { record, selfEvent } from './audit.js';
import { createEnvironmentSignup, type EnvironmentSignup } from './environment-signup.js';
import type { EmailVerificationService } from './email-verification.js';
import { canMatch, toIdentifierLookup, type AccountLookup } from './lookup.js';
import type { Metrics } from './metrics.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter } from './rate-limits.js';

export interface EnvironmentAuthService extends EnvironmentSignup {
  /**
   * Checks an environment account's password. Unknown identifier, disabled account, no password
   * or a wrong one: `errors.invalidCredentials()` (401), always after one hash verification.
   * A correct password while the environment requires a verified email that is not:
   * `errors.emailUnverified()` (403). Used by the JSON login and the hosted login page.
   */
  authenticate(input: AuthenticateInput): Promise<EnvironmentAccountRow>;
  /** authenticate, then a new API session (the environment's session settings). */
  login(input: { environment: EnvironmentRow; lookup: AccountLookup; password: string; meta: RequestMeta }): Promise<{
    account: EnvironmentAccountRow;
    issued: IssuedSession;
  }>;
  /** The live session of this environment (cookie or bearer token) of an enabled account, or a 401. */
  currentSession(environment: EnvironmentRow, token: string | undefined): Promise<ApiSessionRow>;
  /** Ends the session the token opens, if it is a session of this environment. */
  logout(environment: EnvironmentRow, token: string | undefined): Promise<void>;
  /**
   * The account behind the session changes its password: its API sessions and its OIDC
   * sessions, grants and tokens end, and the current session is replaced by a new one, in one
   * transaction. A wrong current password is a 400 `auth.current_password_wrong`.
   */
  changePassword(input: {
    environment: EnvironmentRow;
    session: ApiSessionRow;
    currentPassword: string;
    newPassword: string;
    meta: RequestMeta;
  }): Promise<IssuedSession>;
  /** The account's live sessions, oldest first. */
  listSessions(
    environment: EnvironmentRow,
    session: ApiSessionRow,
    page: { limit: number; after?: ApiSessionPosition | undefined },
  ): Promise<{ rows: ApiSessionRow[]; next: ApiSessionPosition | undefined }>;
  /** Ends every API session of the account; answers how many. */
  logoutAll(environment: EnvironmentRow, session: ApiSessionRow, meta?: RequestMeta): Promise<number>;
}

export interface AuthenticateInput {
  readonly scope: EnvironmentScope;
  readonly lookup: AccountLookup;
  readonly password: string;
  /** The caller's address, for the per-address rate limit (null when unknown). */
  readonly address: string | null;
  /** The environment's row when the caller has just read it (JSON login): not read again. */
  readonly environment?: EnvironmentRow | undefined;
}

export function createEnvironmentAuthService(deps: {
  db: Database;
  emailVerification: Pick<EmailVerificationService, 'sendVerificationLink'>;
  hasher: PasswordHasher;
  apiSessions: ApiSessionsService;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  sessionEndings: SessionEndings;
  passwordLinks: Pick<PasswordLinksService, 'sendPasswordChanged'>;
}): EnvironmentAuthService {
  const { db, hasher, apiSessions, metrics, rateLimiter, sessionEndings, passwordLinks } = deps;

  async function authenticate(input: AuthenticateInput) {
    const identifier = toIdentifierLookup(input.lookup);
    const environment = input.environment ?? (await findEnvironmentInTenant(db, input.scope));
    const settings = resolveSettings(environment?.settings);
    const limits = settings.rateLimits;
    const place = input.scope.environmentId;
    const window = limits.windowSeconds;
    const limitKeys = [
      [`environment-login:${place}:${identifier.kind}:${identifier.value}`, { limit: limits.loginsPerIdentifier, windowSeconds: window }],
      ...(input.address
        ? [[`environment-login-address:${place}:${input.address}`, { limit: limits.loginsPerAddress, windowSeconds: window }] as const]
        : []),
    ] as const;
    const attemptedAt = new Date();
    await rateLimiter.hit(limitKeys, attemptedAt);
    const account =
      environment && canMatch(identifier)
        ? await findEnvironmentAccountByIdentifier(db, input.scope, identifier)
        : undefined;
    // One verification whatever was found: the answer's timing does not tell accounts apart.
    const valid = await hasher.verify(account?.passwordHash, input.password);
    if (!environment || !account || !valid || account.disabled) throw errors.invalidCredentials();
    // An account made on the signup page exists for sign-in once its address is proven: until
    // then it fails as an unknown one would, or the page's "check your email" for a new and a
    // taken address could be told apart by signing in with the password just chosen.
    if (account.verifyBeforeSignIn && !account.emailVerified) throw errors.invalidCredentials();
    if (settings.emailVerification.required && !account.emailVerified) {
      throw errors.emailUnverified();
    }
    // Only failures count against the limits: a sign-in that worked gives its hits back.
    await rateLimiter.refund(limitKeys, attemptedAt);
    return account;
  }

  return {
    authenticate,
    ...createEnvironmentSignup({ db, hasher, apiSessions, emailVerification: deps.emailVerification, rateLimiter }),
    async login({ environment, lookup, password, meta }) {
      let account: EnvironmentAccountRow;
      try {
        account = await authenticate({
          scope: { tenantId: environment.tenantId, environmentId: environment.id },
          lookup,
          password,
          address: meta.ipAddress,
          environment,
        });
      } catch (error) {
        metrics.logins.inc({ kind: 'environment', outcome: 'failure' });
        throw error;
      }
      const issued = await apiSessions.issue(db, {
        tenantId: environment.tenantId,
        accountType: 'environment_account',
        accountId: account.id,
        environmentId: environment.id,
        lifetimeSeconds: resolveSettings(environment.settings).sessions.lifetimeSeconds,
        meta,
      });
      metrics.logins.inc({ kind: 'environment', outcome: 'success' });
      return { account, issued };
    },
    async currentSession(environment, token) {
      const session = await apiSessions.validate(token, {
        accountType: 'environment_account',
        tenantId: environment.tenantId,
        environmentId: environment.id,
        idleSeconds: resolveSettings(environment.settings).sessions.idleSeconds,
      });
      const account = session
        ? await findEnvironmentAccountById(db, { tenantId: environment.tenantId, environmentId: environment.id }, session.accountId)
        : undefined;
      if (!session || !account || account.disabled) throw errors.unauthenticated();
      return session;
    },
    async changePassword({ environment, session, currentPassword, newPassword, meta }) {
      const scope = { tenantId: environment.tenantId, environmentId: environment.id };
      const account = await findEnvironmentAccountById(db, scope, session.accountId);
      if (!account || account.disabled) throw errors.unauthenticated();
      assertPasswordPolicy(environment, newPassword, 'newPassword');
      // A session is not the password: guesses at the current one are limited like logins.
      const limits = resolveSettings(environment.settings).rateLimits;
      await rateLimiter.hit([
        [`environment-change-password:${account.id}`, { limit: limits.loginsPerIdentifier, windowSeconds: limits.windowSeconds }],
      ]);
      if (!(await hasher.verify(account.passwordHash, currentPassword))) throw errors.currentPasswordWrong();
      const passwordHash = await hasher.hash(newPassword);
      const settings = resolveSettings(environment.settings);
      const { issued, ended } = await db.transaction(async (trx) => {
        await updateEnvironmentAccount(trx, scope, account.id, { passwordHash });
        // Any password change voids the account's pending links too (endEverySession does).
        const endedHere = await endEverySession(trx, scope, account.id);
        await record(trx, selfEvent(environment.tenantId, { type: 'environment_account', id: account.id }, 'environment_account.password_changed', meta.ipAddress));
        await passwordLinks.sendPasswordChanged(trx, {
          owner: { ...scope, accountType: 'environment_account', accountId: account.id },
          to: account.email,
          name: account.name,
          brand: brandOfEnvironment(environment),
        });
        const issuedHere = await apiSessions.issue(trx, {
          tenantId: environment.tenantId,
          accountType: 'environment_account',
          accountId: account.id,
          environmentId: environment.id,
          lifetimeSeconds: settings.sessions.lifetimeSeconds,
          meta,
        });
        return { issued: issuedHere, ended: endedHere };
      });
      sessionEndings.announce(ended);
      return issued;
    },
    async listSessions(environment, session, page) {
      const now = new Date();
      const { idleSeconds } = resolveSettings(environment.settings).sessions;
      return listApiSessionsOfAccount(
        db,
        { tenantId: environment.tenantId, accountType: 'environment_account', accountId: session.accountId },
        { limit: page.limit, after: page.after, now, activeSince: new Date(now.getTime() - idleSeconds * 1000) },
      );
    },
    logoutAll: (environment, session, meta) =>
      db.transaction(async (trx) => {
        const owner = { tenantId: environment.tenantId, accountType: 'environment_account' as const, accountId: session.accountId };
        const revoked = await deleteApiSessionsOfAccount(trx, owner);
        const account = { type: 'environment_account' as const, id: session.accountId };
        await record(trx, selfEvent(environment.tenantId, account, 'session.logout_all', meta?.ipAddress ?? null));
        return revoked;
      }),
    async logout(environment, token) {
      const session = await apiSessions.peek(token);
      if (session?.accountType === 'environment_account' && session.environmentId === environment.id) {
        await apiSessions.revoke(session);
      }
    },
  };
}
