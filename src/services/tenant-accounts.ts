import type { Database, Queryable } from '../db/database.js';
import { deleteApiKeysOfCreator } from '../db/queries/api-keys.js';
import { deleteApiSessionsOfAccount } from '../db/queries/api-sessions.js';
import {
  countOtherEnabledOwners,
  deleteTenantAccount,
  findTenantAccountById,
  insertTenantAccount,
  listTenantAccounts,
  lockTenantAccount,
  updateTenantAccount,
  type TenantAccountChanges,
  type TenantAccountPosition,
  type TenantAccountRow,
  type TenantRole,
} from '../db/queries/tenant-accounts.js';
import { lockTenant, type TenantRow } from '../db/queries/tenants.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { isSelf, lowerRole, MANAGE, mayActOn, READ, requireOwnTenant, requireRole, type Actor } from './access.js';
import type { EmailVerificationService } from './email-verification.js';
import { voidAllLinkTokens } from './link-tokens.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordLinksService } from './password-links.js';
import type { PasswordHasher } from './passwords.js';

/**
 * The rules of tenant accounts (DESIGN.md, "Roles"):
 * - acting on another account (update, disable, enable, delete, change its role) needs a rank
 *   strictly above its current one, except that an owner may act on another owner;
 * - nobody grants a role above their own, and the same rank rule holds for the role granted:
 *   an admin creates and makes only users, an owner any role;
 * - everyone edits their own profile (name, avatar) and identifiers (email, username, phone);
 * - oneself is otherwise treated as an account of one's own rank: an owner may disable or demote
 *   themselves, an admin or a user may not; anyone may delete their own account (leave the
 *   tenant);
 * - a tenant always keeps at least one enabled owner: demoting, disabling or deleting the last
 *   one is a 409 `tenant.last_owner`. These changes run with the tenant's row locked and re-read
 *   the actor inside the transaction, so two owners demoting each other at once leave one.
 */
export interface NewTenantAccountInput {
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly password?: string | undefined;
  readonly phone?: string | undefined;
  readonly avatarUrl?: string | undefined;
  readonly role?: TenantRole | undefined;
}

export interface ProfileChange {
  readonly name?: string | undefined;
  readonly avatarUrl?: string | undefined;
}

export type IdentifierChange = { readonly email: string } | { readonly username: string } | { readonly phone: string };

export interface TenantAccountsService {
  list(
    actor: Actor,
    tenant: TenantRow,
    page: { limit: number; after?: TenantAccountPosition | undefined },
  ): Promise<{ rows: TenantAccountRow[]; next: TenantAccountPosition | undefined }>;
  get(actor: Actor, tenant: TenantRow, accountId: string): Promise<TenantAccountRow>;
  /**
   * Refuses (404, 403) an actor who may not make this kind of change to the account, before the
   * request's body is read: `edit` is the profile and identifiers (the account itself, or a rank
   * above), `manage` its status and role (a rank above). The change re-checks under its locks.
   */
  authorize(actor: Actor, tenant: TenantRow, accountId: string, change: 'edit' | 'manage'): Promise<void>;
  create(actor: Actor, tenant: TenantRow, input: NewTenantAccountInput): Promise<TenantAccountRow>;
  updateProfile(actor: Actor, tenant: TenantRow, accountId: string, change: ProfileChange): Promise<TenantAccountRow>;
  changeIdentifier(actor: Actor, tenant: TenantRow, accountId: string, change: IdentifierChange): Promise<TenantAccountRow>;
  /** Disabling also ends every API session of the account, in the same transaction. */
  setDisabled(actor: Actor, tenant: TenantRow, accountId: string, disabled: boolean): Promise<TenantAccountRow>;
  changeRole(actor: Actor, tenant: TenantRow, accountId: string, role: TenantRole): Promise<TenantAccountRow>;
  /** Deletes the account and every API session of it, in one transaction. */
  remove(actor: Actor, tenant: TenantRow, accountId: string): Promise<void>;
}


export function createTenantAccountsService(deps: {
  db: Database;
  hasher: PasswordHasher;
  passwordLinks: Pick<PasswordLinksService, 'sendSetPasswordLink'>;
  emailVerification: Pick<EmailVerificationService, 'emailChanged'>;
}): TenantAccountsService {
  const { db, hasher, passwordLinks, emailVerification } = deps;
  const scopeOf = (tenant: TenantRow) => ({ tenantId: tenant.id });

  async function findTarget(trx: Queryable, tenant: TenantRow, accountId: string): Promise<TenantAccountRow> {
    const account = await findTenantAccountById(trx, scopeOf(tenant), accountId);
    if (!account) throw errors.accountNotFound();
    return account;
  }

  /** Self, or an account the actor outranks (an owner: any owner too). */
  function requireMayEdit(actor: Actor, target: TenantAccountRow): void {
    if (!isSelf(actor, target.id) && !mayActOn(actor.role, target.role)) throw errors.forbidden();
  }

  /**
   * Runs a change that may leave the tenant without an enabled owner: the tenant's row locked,
   * the actor's current role re-read (it may have changed since the session was checked).
   */
  async function withOwnersLocked<T>(
    actor: Actor,
    tenant: TenantRow,
    accountId: string,
    change: (trx: Queryable, current: Actor, target: TenantAccountRow) => Promise<T>,
  ): Promise<T> {
    return db.transaction(async (trx) => {
      if (!(await lockTenant(trx, tenant.id))) throw errors.tenantNotFound();
      const self = await findTenantAccountById(trx, scopeOf(tenant), actor.accountId);
      if (!self || self.disabled) throw errors.unauthenticated();
      // Never above the actor's own role either: an API key stays within its role.
      const current: Actor = { ...actor, role: lowerRole(actor.role, self.role) };
      const target = await findTarget(trx, tenant, accountId);
      return change(trx, current, target);
    });
  }

  async function assertNotLastOwner(trx: Queryable, tenant: TenantRow, target: TenantAccountRow): Promise<void> {
    if (target.role !== 'owner' || target.disabled) return;
    if ((await countOtherEnabledOwners(trx, scopeOf(tenant), target.id)) === 0) throw errors.lastOwner();
  }

  const sessionsOf = (target: TenantAccountRow) => ({
    tenantId: target.tenantId,
    accountType: 'tenant_account' as const,
    accountId: target.id,
  });

  /**
   * Everything that lets a disabled or deleted account in, ended for good: its API sessions,
   * the API keys it made (enabling it again does not bring them back) and its pending links.
   */
  async function endAccess(trx: Queryable, target: TenantAccountRow): Promise<void> {
    await deleteApiSessionsOfAccount(trx, sessionsOf(target));
    await deleteApiKeysOfCreator(trx, { tenantId: target.tenantId }, target.id);
    await voidAllLinkTokens(trx, { tenantId: target.tenantId, environmentId: null, accountType: 'tenant_account', accountId: target.id });
  }

  /** Writes the changes and records `action` by the actor, in one transaction when given one. */
  async function update(
    trx: Queryable,
    actor: Actor,
    action: string,
    tenant: TenantRow,
    accountId: string,
    changes: TenantAccountChanges,
  ) {
    const updated = await updateTenantAccount(trx, scopeOf(tenant), accountId, changes);
    if (!updated) throw errors.accountNotFound();
    await record(trx, byTenantAccount(actor, action, { type: 'tenant_account', id: accountId }));
    return updated;
  }

  const inTransaction = <T>(work: (trx: Queryable) => Promise<T>): Promise<T> => db.transaction((trx) => work(trx));

  /**
   * A new address is unverified: the account's pending links are voided, a verification link
   * goes to the new address and a notice to the old one, in the transaction of the change. The
   * same address written differently (case, width) stays verified and mails nothing.
   */
  function changeEmail(actor: Actor, tenant: TenantRow, accountId: string, email: string): Promise<TenantAccountRow> {
    const emailNormalized = normalizeIdentifier(email);
    return inTransaction(async (trx) => {
      const current = await lockTenantAccount(trx, scopeOf(tenant), accountId);
      if (!current) throw errors.accountNotFound();
      const moved = normalizeIdentifier(current.email) !== emailNormalized;
      const changes: TenantAccountChanges = moved
        ? { email: { email, emailNormalized } }
        : { email: { email, emailNormalized }, emailVerified: current.emailVerified };
      const updated = await update(trx, actor, 'tenant_account.updated', tenant, accountId, changes);
      if (moved) {
        const owner = { tenantId: tenant.id, environmentId: null, accountType: 'tenant_account' as const, accountId };
        const brand = tenant.name;
        await emailVerification.emailChanged(trx, { owner, name: updated.name, brand, previousEmail: current.email, newEmail: updated.email });
        // Its set-password link went to the old address and is void: a new one goes to the new address.
        if (current.passwordHash === null) {
          await passwordLinks.sendSetPasswordLink(trx, { owner, to: updated.email, name: updated.name, brand });
        }
      }
      return updated;
    });
  }

  return {
    async list(actor, tenant, page) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, READ);
      return listTenantAccounts(db, scopeOf(tenant), page);
    },
    async get(actor, tenant, accountId) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, READ);
      return findTarget(db, tenant, accountId);
    },
    async create(actor, tenant, input) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, MANAGE);
      const role = input.role ?? 'user';
      if (!mayActOn(actor.role, role)) throw errors.forbidden();
      // Without a password the account has none and cannot sign in yet: it gets a set-password
      // link (72 hours) by mail, queued in the transaction that makes the account.
      const passwordHash = input.password === undefined ? null : await hasher.hash(input.password);
      return db.transaction(async (trx) => {
        const account = await insertTenantAccount(trx, scopeOf(tenant), {
          name: input.name,
          email: input.email,
          emailNormalized: normalizeIdentifier(input.email),
          username: input.username,
          usernameNormalized: normalizeIdentifier(input.username),
          phone: input.phone ?? null,
          avatarUrl: input.avatarUrl ?? null,
          role,
          passwordHash,
        });
        if (passwordHash === null) {
          await passwordLinks.sendSetPasswordLink(trx, {
            owner: { tenantId: tenant.id, environmentId: null, accountType: 'tenant_account', accountId: account.id },
            to: account.email,
            name: account.name,
            brand: tenant.name,
          });
        }
        await record(trx, byTenantAccount(actor, 'tenant_account.created', { type: 'tenant_account', id: account.id }));
        return account;
      });
    },
    async authorize(actor, tenant, accountId, change) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, change === 'edit' ? READ : MANAGE);
      const target = await findTarget(db, tenant, accountId);
      if (change === 'edit') requireMayEdit(actor, target);
      else if (!mayActOn(actor.role, target.role)) throw errors.forbidden();
    },
    async updateProfile(actor, tenant, accountId, change) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, READ);
      requireMayEdit(actor, await findTarget(db, tenant, accountId));
      return inTransaction((trx) =>
        update(trx, actor, 'tenant_account.updated', tenant, accountId, { name: change.name, avatarUrl: change.avatarUrl }),
      );
    },
    async changeIdentifier(actor, tenant, accountId, change) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, READ);
      requireMayEdit(actor, await findTarget(db, tenant, accountId));
      if ('email' in change) return changeEmail(actor, tenant, accountId, change.email);
      let changes: TenantAccountChanges;
      if ('username' in change) {
        changes = { username: { username: change.username, usernameNormalized: normalizeIdentifier(change.username) } };
      } else changes = { phone: change.phone };
      return inTransaction((trx) => update(trx, actor, 'tenant_account.updated', tenant, accountId, changes));
    },
    async setDisabled(actor, tenant, accountId, disabled) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, MANAGE);
      return withOwnersLocked(actor, tenant, accountId, async (trx, current, target) => {
        if (!mayActOn(current.role, target.role)) throw errors.forbidden();
        if (disabled) {
          await assertNotLastOwner(trx, tenant, target);
          await endAccess(trx, target);
        }
        return update(trx, current, disabled ? 'tenant_account.disabled' : 'tenant_account.enabled', tenant, accountId, { disabled });
      });
    },
    async changeRole(actor, tenant, accountId, role) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, MANAGE);
      return withOwnersLocked(actor, tenant, accountId, async (trx, current, target) => {
        if (!mayActOn(current.role, target.role) || !mayActOn(current.role, role)) throw errors.forbidden();
        if (role !== 'owner') await assertNotLastOwner(trx, tenant, target);
        return update(trx, current, 'tenant_account.role_changed', tenant, accountId, { role });
      });
    },
    async remove(actor, tenant, accountId) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, READ);
      await withOwnersLocked(actor, tenant, accountId, async (trx, current, target) => {
        requireMayEdit(current, target);
        await assertNotLastOwner(trx, tenant, target);
        await endAccess(trx, target);
        if (!(await deleteTenantAccount(trx, scopeOf(tenant), accountId))) throw errors.accountNotFound();
        await record(trx, byTenantAccount(current, 'tenant_account.deleted', { type: 'tenant_account', id: accountId }));
      });
    },
  };
}
