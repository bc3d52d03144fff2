import type { Database } from '../db/database.js';
import {
  deleteApiSessionsOfAccount,
  listApiSessionsOfAccount,
  type ApiSessionPosition,
  type ApiSessionRow,
} from '../db/queries/api-sessions.js';
import {
  findTenantAccountById,
  findTenantAccountByIdentifier,
  updateTenantAccount,
  type TenantAccountRow,
} from '../db/queries/tenant-accounts.js';
import { findTenantById, type TenantRow } from '../db/queries/tenants.js';
import { errors } from '../errors/codes.js';
import type { Actor } from './access.js';
import { record, selfEvent } from './audit.js';
import {
  TENANT_SESSION_IDLE_SECONDS,
  TENANT_SESSION_LIFETIME_SECONDS,
  type ApiSessionsService,
  type IssuedSession,
  type RequestMeta,
} from './api-sessions.js';
import { voidAllLinkTokens } from './link-tokens.js';
import { canMatch, toIdentifierLookup, type AccountLookup } from './lookup.js';
import type { Metrics } from './metrics.js';
import type { PasswordHasher } from './passwords.js';
import { TENANT_LOGIN_LIMITS, type RateLimiter } from './rate-limits.js';
import type { PasswordLinksService } from './password-links.js';

export interface TenantAuthService {
  /** The tenant a login or session path names, or 404. */
  findTenant(tenantId: string): Promise<TenantRow>;
  /** Every failure is one 401 `auth.invalid_credentials`, after one hash verification. */
  login(input: { tenant: TenantRow; lookup: AccountLookup; password: string; meta: RequestMeta }): Promise<{
    account: TenantAccountRow;
    issued: IssuedSession;
  }>;
  /** The actor behind a session token, when it is a live tenant session of an enabled account. */
  authenticate(token: string | undefined): Promise<{ actor: Actor; session: ApiSessionRow } | undefined>;
  /** The live session of this tenant, or a 401. */
  currentSession(tenantId: string, token: string | undefined): Promise<ApiSessionRow>;
  /** Ends the session the token opens, if it is a session of this tenant. */
  logout(tenantId: string, token: string | undefined): Promise<void>;
  /**
   * The account behind a live session of this tenant changes its password: every session of it
   * ends, and the current one is replaced by a new one (a new cookie), in one transaction.
   * A wrong current password is a 400 `auth.current_password_wrong`.
   */
  changePassword(input: {
    session: ApiSessionRow;
    currentPassword: string;
    newPassword: string;
    meta: RequestMeta;
  }): Promise<IssuedSession>;
  /** The live sessions of the session's account, oldest first. */
  listSessions(
    session: ApiSessionRow,
    page: { limit: number; after?: ApiSessionPosition | undefined },
  ): Promise<{ rows: ApiSessionRow[]; next: ApiSessionPosition | undefined }>;
  /** Ends every session of the session's account, this one included; answers how many. */
  logoutAll(session: ApiSessionRow, meta?: RequestMeta): Promise<number>;
}

const sessionOwner = (session: ApiSessionRow) => ({
  tenantId: session.tenantId,
  accountType: 'tenant_account' as const,
  accountId: session.accountId,
});

export function createTenantAuthService(deps: {
  db: Database;
  hasher: PasswordHasher;
  apiSessions: ApiSessionsService;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  passwordLinks: Pick<PasswordLinksService, 'sendPasswordChanged'>;
}): TenantAuthService {
  const { db, hasher, apiSessions, metrics, rateLimiter, passwordLinks } = deps;

  async function authenticate(token: string | undefined, tenantId?: string) {
    const session = await apiSessions.validate(token, {
      accountType: 'tenant_account',
      ...(tenantId ? { tenantId } : {}),
      idleSeconds: TENANT_SESSION_IDLE_SECONDS,
    });
    if (!session) return undefined;
    const account = await findTenantAccountById(db, session, session.accountId);
    if (!account || account.disabled) return undefined;
    const actor: Actor = { tenantId: account.tenantId, accountId: account.id, role: account.role, via: 'cookie' };
    return { actor, session };
  }

  return {
    async findTenant(tenantId) {
      const tenant = await findTenantById(db, tenantId);
      if (!tenant) throw errors.tenantNotFound();
      return tenant;
    },
    async login({ tenant, lookup, password, meta }) {
      const tenantId = tenant.id;
      const identifier = toIdentifierLookup(lookup);
      const limitKeys = [
        [`tenant-login:${tenantId}:${identifier.kind}:${identifier.value}`, TENANT_LOGIN_LIMITS.perIdentifier],
        ...(meta.ipAddress ? [[`tenant-login-address:${tenantId}:${meta.ipAddress}`, TENANT_LOGIN_LIMITS.perAddress] as const] : []),
      ] as const;
      const attemptedAt = new Date();
      await rateLimiter.hit(limitKeys, attemptedAt);
      const account = canMatch(identifier) ? await findTenantAccountByIdentifier(db, { tenantId }, identifier) : undefined;
      // Always one verification, whether or not the account exists or has a password.
      const valid = await hasher.verify(account?.passwordHash, password);
      if (!account || !valid || account.disabled) {
        metrics.logins.inc({ kind: 'tenant', outcome: 'failure' });
        throw errors.invalidCredentials();
      }
      // Only failures count against the limits: a login that worked gives its hits back.
      await rateLimiter.refund(limitKeys, attemptedAt);
      const issued = await apiSessions.issue(db, {
        tenantId,
        accountType: 'tenant_account',
        accountId: account.id,
        environmentId: null,
        lifetimeSeconds: TENANT_SESSION_LIFETIME_SECONDS,
        meta,
      });
      await record(db, selfEvent(tenantId, { type: 'tenant_account', id: account.id }, 'tenant_account.signed_in', meta.ipAddress));
      metrics.logins.inc({ kind: 'tenant', outcome: 'success' });
      return { account, issued };
    },
    authenticate: (token) => authenticate(token),
    async currentSession(tenantId, token) {
      const found = await authenticate(token, tenantId);
      if (!found) throw errors.unauthenticated();
      return found.session;
    },
    async logout(tenantId, token) {
      const session = await apiSessions.peek(token);
      if (session?.accountType === 'tenant_account' && session.tenantId === tenantId) await apiSessions.revoke(session);
    },
    async changePassword({ session, currentPassword, newPassword, meta }) {
      const account = await findTenantAccountById(db, session, session.accountId);
      if (!account || account.disabled) throw errors.unauthenticated();
      // A session is not the password: guesses at the current one are limited like logins.
      await rateLimiter.hit([[`tenant-change-password:${account.id}`, TENANT_LOGIN_LIMITS.perIdentifier]]);
      if (!(await hasher.verify(account.passwordHash, currentPassword))) throw errors.currentPasswordWrong();
      // Hashed before the transaction opens: no connection is held while argon2 runs.
      const passwordHash = await hasher.hash(newPassword);
      return db.transaction(async (trx) => {
        if (!(await updateTenantAccount(trx, session, account.id, { passwordHash }))) throw errors.unauthenticated();
        await deleteApiSessionsOfAccount(trx, sessionOwner(session));
        // Any password change voids the account's pending reset and set-password links.
        await voidAllLinkTokens(trx, { ...sessionOwner(session), environmentId: null });
        await record(trx, selfEvent(session.tenantId, { type: 'tenant_account', id: account.id }, 'tenant_account.password_changed', meta.ipAddress));
        const tenant = await findTenantById(trx, session.tenantId);
        await passwordLinks.sendPasswordChanged(trx, {
          owner: { ...sessionOwner(session), environmentId: null },
          to: account.email,
          name: account.name,
          brand: tenant?.name ?? '',
        });
        return apiSessions.issue(trx, {
          tenantId: session.tenantId,
          accountType: 'tenant_account',
          accountId: account.id,
          environmentId: null,
          lifetimeSeconds: TENANT_SESSION_LIFETIME_SECONDS,
          meta,
        });
      });
    },
    async listSessions(session, page) {
      const now = new Date();
      return listApiSessionsOfAccount(db, sessionOwner(session), {
        ...page,
        now,
        activeSince: new Date(now.getTime() - TENANT_SESSION_IDLE_SECONDS * 1000),
      });
    },
    logoutAll: (session, meta) =>
      db.transaction(async (trx) => {
        const revoked = await deleteApiSessionsOfAccount(trx, sessionOwner(session));
        await record(trx, selfEvent(session.tenantId, { type: 'tenant_account', id: session.accountId }, 'session.logout_all', meta?.ipAddress ?? null));
        return revoked;
      }),
  };
}
