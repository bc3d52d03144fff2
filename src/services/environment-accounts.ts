import type { Database } from '../db/database.js';
import {
  deleteEnvironmentAccount,
  insertEnvironmentAccount,
  listEnvironmentAccounts,
  lockEnvironmentAccount,
  updateEnvironmentAccount,
  findEnvironmentAccountById,
  type AddressClaim,
  type EnvironmentAccountChanges,
  type EnvironmentAccountPosition,
  type EnvironmentAccountRow,
} from '../db/queries/environment-accounts.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import type { EnvironmentScope } from '../db/scope.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record, type AuditEvent } from './audit.js';
import { MANAGE, READ, requireRole, type Actor } from './access.js';
import { assertCustomPropertiesFit, mergeCustomProperties, withoutCustomProperty } from './custom-properties.js';
import type { EmailVerificationService } from './email-verification.js';
import { assertPasswordPolicy, brandOfEnvironment, resolveSettings } from './environment-settings.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordLinksService } from './password-links.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter } from './rate-limits.js';
import { endEverySession, type EndedSessions, type SessionEndings } from './session-endings.js';

/**
 * Who acts on an environment account: a tenant account of the environment's tenant (by its
 * role), or the environment account itself through its own environment session.
 */
export type AccountCaller =
  | { readonly kind: 'tenant'; readonly actor: Actor }
  | { readonly kind: 'self'; readonly accountId: string; readonly sessionId: string; readonly ipAddress?: string | null | undefined };

export interface NewEnvironmentAccountInput {
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly password?: string | undefined;
  readonly phone?: string | undefined;
  readonly avatarUrl?: string | undefined;
  readonly address?: AddressClaim | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
  readonly emailVerified?: boolean | undefined;
}

export interface ProfileChanges {
  readonly name?: string | undefined;
  readonly avatarUrl?: string | null | undefined;
  readonly address?: AddressClaim | null | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
  /** Owners and admins only (the route's schema for a self-session has no such field). */
  readonly emailVerified?: boolean | undefined;
}

export interface EnvironmentAccountsService {
  create(actor: Actor, environment: EnvironmentRow, input: NewEnvironmentAccountInput): Promise<EnvironmentAccountRow>;
  list(
    actor: Actor,
    environment: EnvironmentRow,
    page: { limit: number; after?: EnvironmentAccountPosition | undefined; email?: string | undefined; username?: string | undefined },
  ): Promise<{ rows: EnvironmentAccountRow[]; next: EnvironmentAccountPosition | undefined }>;
  get(caller: AccountCaller, environment: EnvironmentRow, accountId: string): Promise<EnvironmentAccountRow>;
  updateProfile(caller: AccountCaller, environment: EnvironmentRow, accountId: string, changes: ProfileChanges): Promise<EnvironmentAccountRow>;
  /**
   * A new email is unverified again: the account's pending links are voided, a verification
   * link goes to the new address and a notice to the old one, with the change (one transaction).
   */
  changeEmail(caller: AccountCaller, environment: EnvironmentRow, accountId: string, email: string): Promise<EnvironmentAccountRow>;
  changePhone(caller: AccountCaller, environment: EnvironmentRow, accountId: string, phone: string | null): Promise<EnvironmentAccountRow>;
  changeUsername(caller: AccountCaller, environment: EnvironmentRow, accountId: string, username: string): Promise<EnvironmentAccountRow>;
  setCustomProperties(
    caller: AccountCaller,
    environment: EnvironmentRow,
    accountId: string,
    properties: Record<string, unknown>,
  ): Promise<EnvironmentAccountRow>;
  deleteCustomProperty(caller: AccountCaller, environment: EnvironmentRow, accountId: string, key: string): Promise<EnvironmentAccountRow>;
  /** Disabling ends its API sessions and its OIDC sessions, grants and tokens, in one transaction. */
  setDisabled(actor: Actor, environment: EnvironmentRow, accountId: string, disabled: boolean): Promise<EnvironmentAccountRow>;
  /** The account, its API sessions and its OIDC artefacts, in one transaction. */
  remove(caller: AccountCaller, environment: EnvironmentRow, accountId: string): Promise<void>;
}

const scopeOf = (environment: EnvironmentRow): EnvironmentScope => ({
  tenantId: environment.tenantId,
  environmentId: environment.id,
});

/** The 403 rules: tenant accounts by role, an environment account on itself only. */
export function authorizeAccountCaller(
  caller: AccountCaller,
  environment: EnvironmentRow,
  accountId: string,
  access: { minimum: typeof READ | typeof MANAGE; self: boolean },
): void {
  if (caller.kind === 'tenant') {
    // The route found the environment through the actor's tenant; this keeps the rule here too.
    if (environment.tenantId !== caller.actor.tenantId) throw errors.environmentNotFound();
    requireRole(caller.actor, access.minimum);
    return;
  }
  if (!access.self || caller.accountId !== accountId) throw errors.forbidden();
}

/** The audit event of a change to an environment account, by a tenant account or by itself. */
export function accountEvent(caller: AccountCaller, environment: EnvironmentRow, accountId: string, action: string): AuditEvent {
  const target = { type: 'environment_account', id: accountId };
  if (caller.kind === 'tenant') return byTenantAccount(caller.actor, action, target);
  return {
    tenantId: environment.tenantId,
    actor: { type: 'environment_account', id: caller.accountId },
    action,
    target,
    ip: caller.ipAddress ?? null,
  };
}

export function createEnvironmentAccountsService(deps: {
  db: Database;
  hasher: PasswordHasher;
  emailVerification: Pick<EmailVerificationService, 'sendVerificationLink' | 'emailChanged'>;
  passwordLinks: Pick<PasswordLinksService, 'sendSetPasswordLink'>;
  sessionEndings: SessionEndings;
  rateLimiter: RateLimiter;
}): EnvironmentAccountsService {
  const { db, hasher, passwordLinks, sessionEndings, rateLimiter } = deps;
  const WRITE = { minimum: MANAGE, self: true } as const;

  /**
   * A 409 on an identifier change tells a taken email, username or phone apart, as signup's
   * does: the account's own changes are counted like signups from one address.
   */
  async function limitSelfProbe(caller: AccountCaller, environment: EnvironmentRow): Promise<void> {
    if (caller.kind !== 'self') return;
    const { signupsPerAddress, windowSeconds } = resolveSettings(environment.settings).rateLimits;
    await rateLimiter.hit([[`environment-identifier-change:${caller.accountId}`, { limit: signupsPerAddress, windowSeconds }]]);
  }
  const { emailVerification } = deps;

  /** Under the account's row lock: reads it (404), computes the changes, writes them. */
  function rewrite(
    caller: AccountCaller,
    environment: EnvironmentRow,
    accountId: string,
    change: (current: EnvironmentAccountRow) => EnvironmentAccountChanges,
    action = 'environment_account.updated',
  ): Promise<EnvironmentAccountRow> {
    const scope = scopeOf(environment);
    return db.transaction(async (trx) => {
      const current = await lockEnvironmentAccount(trx, scope, accountId);
      if (!current) throw errors.accountNotFound();
      const updated = await updateEnvironmentAccount(trx, scope, accountId, change(current));
      if (!updated) throw errors.accountNotFound();
      await record(trx, accountEvent(caller, environment, accountId, action));
      return updated;
    });
  }

  return {
    async create(actor, environment, input) {
      authorizeAccountCaller({ kind: 'tenant', actor }, environment, '', { minimum: MANAGE, self: false });
      if (input.password !== undefined) assertPasswordPolicy(environment, input.password);
      if (input.customProperties) assertCustomPropertiesFit(input.customProperties, 'customProperties');
      // Without a password the account gets a set-password link (72 hours) by mail, queued in
      // the transaction that makes the account (DESIGN.md).
      const passwordHash = input.password === undefined ? null : await hasher.hash(input.password);
      // A taken email, username or phone, also by a racing request, is a 409 from the unique index.
      return db.transaction(async (trx) => {
        const account = await insertEnvironmentAccount(trx, scopeOf(environment), {
          name: input.name,
          email: input.email,
          emailNormalized: normalizeIdentifier(input.email),
          emailVerified: input.emailVerified ?? false,
          username: input.username,
          usernameNormalized: normalizeIdentifier(input.username),
          phone: input.phone ?? null,
          avatarUrl: input.avatarUrl ?? null,
          address: input.address ?? null,
          customProperties: input.customProperties ?? {},
          passwordHash,
        });
        const recipient = {
          owner: { ...scopeOf(environment), accountType: 'environment_account' as const, accountId: account.id },
          to: account.email,
          name: account.name,
          brand: brandOfEnvironment(environment),
        };
        if (passwordHash === null) await passwordLinks.sendSetPasswordLink(trx, recipient);
        // Where the environment requires verified emails, an account an admin did not vouch for
        // needs the link to ever sign in; elsewhere no mail the admin did not ask for.
        if (!account.emailVerified && resolveSettings(environment.settings).emailVerification.required) {
          await emailVerification.sendVerificationLink(trx, recipient);
        }
        await record(trx, accountEvent({ kind: 'tenant', actor }, environment, account.id, 'environment_account.created'));
        return account;
      });
    },
    async list(actor, environment, page) {
      authorizeAccountCaller({ kind: 'tenant', actor }, environment, '', { minimum: READ, self: false });
      return listEnvironmentAccounts(db, scopeOf(environment), {
        limit: page.limit,
        after: page.after,
        emailNormalized: page.email === undefined ? undefined : normalizeIdentifier(page.email),
        usernameNormalized: page.username === undefined ? undefined : normalizeIdentifier(page.username),
      });
    },
    async get(caller, environment, accountId) {
      authorizeAccountCaller(caller, environment, accountId, { minimum: READ, self: true });
      const account = await findEnvironmentAccountById(db, scopeOf(environment), accountId);
      if (!account) throw errors.accountNotFound();
      return account;
    },
    async updateProfile(caller, environment, accountId, changes) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      if (caller.kind === 'self' && changes.emailVerified !== undefined) throw errors.forbidden();
      if (changes.customProperties) assertCustomPropertiesFit(changes.customProperties, 'customProperties');
      return rewrite(caller, environment, accountId, () => ({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.avatarUrl !== undefined ? { avatarUrl: changes.avatarUrl } : {}),
        ...(changes.address !== undefined ? { address: changes.address } : {}),
        ...(changes.customProperties !== undefined ? { customProperties: changes.customProperties } : {}),
        ...(changes.emailVerified !== undefined ? { emailVerified: changes.emailVerified } : {}),
      }));
    },
    async changeEmail(caller, environment, accountId, email) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      await limitSelfProbe(caller, environment);
      const emailNormalized = normalizeIdentifier(email);
      const scope = scopeOf(environment);
      return db.transaction(async (trx) => {
        const current = await lockEnvironmentAccount(trx, scope, accountId);
        if (!current) throw errors.accountNotFound();
        // The same address written differently (case, width) stays verified and mails nothing.
        const moved = normalizeIdentifier(current.email) !== emailNormalized;
        const changes: EnvironmentAccountChanges =
          current.email === email ? {} : moved ? { email, emailNormalized, emailVerified: false } : { email };
        const updated = await updateEnvironmentAccount(trx, scope, accountId, changes);
        if (!updated) throw errors.accountNotFound();
        if (moved) {
          const owner = { ...scope, accountType: 'environment_account' as const, accountId };
          const brand = brandOfEnvironment(environment);
          await emailVerification.emailChanged(trx, { owner, name: updated.name, brand, previousEmail: current.email, newEmail: updated.email });
          // Its set-password link went to the old address and is void: a new one goes to the new address.
          if (current.passwordHash === null) {
            await passwordLinks.sendSetPasswordLink(trx, { owner, to: updated.email, name: updated.name, brand });
          }
        }
        await record(trx, accountEvent(caller, environment, accountId, 'environment_account.updated'));
        return updated;
      });
    },
    async changePhone(caller, environment, accountId, phone) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      await limitSelfProbe(caller, environment);
      return rewrite(caller, environment, accountId, (current) => (current.phone === phone ? {} : { phone, phoneVerified: false }));
    },
    async changeUsername(caller, environment, accountId, username) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      await limitSelfProbe(caller, environment);
      return rewrite(caller, environment, accountId, () => ({ username, usernameNormalized: normalizeIdentifier(username) }));
    },
    async setCustomProperties(caller, environment, accountId, properties) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      return rewrite(
        caller,
        environment,
        accountId,
        (current) => {
          const merged = mergeCustomProperties(current.customProperties, properties);
          assertCustomPropertiesFit(merged, '(body)');
          return { customProperties: merged };
        },
        'environment_account.custom_property_set',
      );
    },
    async deleteCustomProperty(caller, environment, accountId, key) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      return rewrite(
        caller,
        environment,
        accountId,
        (current) => ({ customProperties: withoutCustomProperty(current.customProperties, key) }),
        'environment_account.custom_property_removed',
      );
    },
    async setDisabled(actor, environment, accountId, disabled) {
      authorizeAccountCaller({ kind: 'tenant', actor }, environment, accountId, { minimum: MANAGE, self: false });
      const scope = scopeOf(environment);
      let ended: EndedSessions | undefined;
      const account = await db.transaction(async (trx) => {
        const current = await lockEnvironmentAccount(trx, scope, accountId);
        if (!current) throw errors.accountNotFound();
        // Disabling again still ends whatever the account holds.
        if (disabled) ended = await endEverySession(trx, scope, accountId);
        const action = disabled ? 'environment_account.disabled' : 'environment_account.enabled';
        if (current.disabled === disabled) {
          // Disabling again still ended its sessions: that is a change worth recording.
          if (disabled) await record(trx, accountEvent({ kind: 'tenant', actor }, environment, accountId, action));
          return current;
        }
        const updated = await updateEnvironmentAccount(trx, scope, accountId, { disabled });
        if (!updated) throw errors.accountNotFound();
        await record(trx, accountEvent({ kind: 'tenant', actor }, environment, accountId, action));
        return updated;
      });
      if (ended) sessionEndings.announce(ended);
      return account;
    },
    async remove(caller, environment, accountId) {
      authorizeAccountCaller(caller, environment, accountId, WRITE);
      const scope = scopeOf(environment);
      const ended = await db.transaction(async (trx) => {
        if (!(await deleteEnvironmentAccount(trx, scope, accountId))) throw errors.accountNotFound();
        const endedHere = await endEverySession(trx, scope, accountId);
        await record(trx, accountEvent(caller, environment, accountId, 'environment_account.deleted'));
        return endedHere;
      });
      sessionEndings.announce(ended);
    },
  };
}
