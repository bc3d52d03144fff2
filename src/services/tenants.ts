import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import { insertTenantAccount, type TenantAccountRow } from '../db/queries/tenant-accounts.js';
import {
  deleteTenant,
  findEnvironmentsOfTenant,
  findTenantById,
  insertTenant,
  lockTenant,
  updateTenant,
  type TenantRow,
} from '../db/queries/tenants.js';
import { MANAGE, READ, requireOwnTenant, requireRole, type Actor } from './access.js';
import { assertCustomPropertiesFit, mergeCustomProperties, withoutCustomProperty } from './custom-properties.js';
import { TENANT_SESSION_LIFETIME_SECONDS, type ApiSessionsService, type IssuedSession, type RequestMeta } from './api-sessions.js';
import type { EnvironmentsService, NewEnvironmentInput } from './environments.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { constantTimeEqual, sha256Hex } from './crypto.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordHasher } from './passwords.js';

export const DEFAULT_ENVIRONMENT_NAME = 'default';

export interface NewTenantInput {
  readonly tenant: { name: string; customProperties?: Record<string, unknown> | undefined };
  readonly account: {
    name: string;
    email: string;
    username: string;
    password: string;
    phone?: string | undefined;
    avatarUrl?: string | undefined;
  };
  readonly environment?: NewEnvironmentInput | undefined;
}

export interface CreatedTenant {
  readonly tenant: TenantRow;
  readonly owner: TenantAccountRow;
  readonly environment: EnvironmentRow;
  readonly issued: IssuedSession;
}

export interface TenantsService {
  /**
   * Open tenant signup (ALLOW_TENANT_SIGNUP), or the operator's token as a bearer; otherwise
   * 403 `tenant.signup_closed`.
   */
  assertMayCreate(bearerToken: string | undefined): void;
  /**
   * The tenant, its owner, its first environment (with signing keys) and the owner's session,
   * all in one transaction: a failure anywhere leaves nothing behind.
   */
  create(input: NewTenantInput, meta: RequestMeta): Promise<CreatedTenant>;
  /** The actor's own tenant with its environments (any role); another tenant's id is a 404. */
  get(actor: Actor, tenantId: string): Promise<TenantWithEnvironments>;
  /** The actor's own tenant, or 404, before the role and the body are checked. */
  findVisible(actor: Actor, tenantId: string): Promise<TenantRow>;
  /** Name and / or the whole customProperties object (owners and admins). */
  update(actor: Actor, tenant: TenantRow, changes: TenantChangeInput): Promise<TenantWithEnvironments>;
  /** Merges every key given into customProperties (owners and admins). */
  setCustomProperties(actor: Actor, tenant: TenantRow, properties: Record<string, unknown>): Promise<TenantWithEnvironments>;
  /** Removes one key (literally named) from customProperties (owners and admins). */
  deleteCustomProperty(actor: Actor, tenant: TenantRow, key: string): Promise<TenantWithEnvironments>;
  /**
   * Deletes the tenant and everything in it (owners only); its sessions go with it. Answers the
   * ids of its environments, whose cached issuers the caller drops.
   */
  remove(actor: Actor, tenant: TenantRow): Promise<{ environmentIds: string[] }>;
}

export interface TenantChangeInput {
  readonly name?: string | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
}

export interface TenantWithEnvironments {
  readonly tenant: TenantRow;
  readonly environments: EnvironmentRow[];
}

export function createTenantsService(deps: {
  config: Pick<Config, 'allowTenantSignup' | 'operatorToken'>;
  db: Database;
  hasher: PasswordHasher;
  environments: EnvironmentsService;
  apiSessions: ApiSessionsService;
}): TenantsService {
  const { config, db, hasher, environments, apiSessions } = deps;

  async function findVisible(actor: Actor, tenantId: string): Promise<TenantRow> {
    requireOwnTenant(actor, tenantId);
    const tenant = await findTenantById(db, tenantId);
    if (!tenant) throw errors.tenantNotFound();
    return tenant;
  }

  // The route found the tenant through the actor; this keeps the rule in the service too.
  const assertOwn = (actor: Actor, tenant: TenantRow) => requireOwnTenant(actor, tenant.id);

  async function withEnvironments(tenant: TenantRow): Promise<TenantWithEnvironments> {
    return { tenant, environments: await findEnvironmentsOfTenant(db, tenant.id) };
  }

  /** Read, change and write customProperties with the tenant's row locked: no merge is lost. */
  async function changeCustomProperties(
    actor: Actor,
    tenantId: string,
    action: string,
    change: (existing: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<TenantWithEnvironments> {
    const updated = await db.transaction(async (trx) => {
      const locked = await lockTenant(trx, tenantId);
      if (!locked) throw errors.tenantNotFound();
      const customProperties = change(locked.customProperties);
      assertCustomPropertiesFit(customProperties, 'customProperties');
      const row = await updateTenant(trx, tenantId, { customProperties });
      if (row) await record(trx, byTenantAccount(actor, action, { type: 'tenant', id: tenantId }));
      return row;
    });
    if (!updated) throw errors.tenantNotFound();
    return withEnvironments(updated);
  }
  return {
    assertMayCreate(bearerToken) {
      if (config.allowTenantSignup) return;
      const operatorToken = config.operatorToken;
      if (!operatorToken || !bearerToken || !constantTimeEqual(sha256Hex(bearerToken), sha256Hex(operatorToken))) {
        throw errors.tenantSignupClosed();
      }
    },
    async create(input, meta) {
      // The same limits as every other write of custom properties (50 keys, 8 KB).
      if (input.tenant.customProperties) assertCustomPropertiesFit(input.tenant.customProperties, 'tenant.customProperties');
      if (input.environment?.customProperties) {
        assertCustomPropertiesFit(input.environment.customProperties, 'environment.customProperties');
      }
      // Hashed before the transaction opens: no connection is held while argon2 runs.
      const passwordHash = await hasher.hash(input.account.password);
      return db.transaction(async (trx) => {
        const tenant = await insertTenant(trx, {
          name: input.tenant.name,
          customProperties: input.tenant.customProperties ?? {},
        });
        const owner = await insertTenantAccount(
          trx,
          { tenantId: tenant.id },
          {
            name: input.account.name,
            email: input.account.email,
            emailNormalized: normalizeIdentifier(input.account.email),
            username: input.account.username,
            usernameNormalized: normalizeIdentifier(input.account.username),
            phone: input.account.phone ?? null,
            avatarUrl: input.account.avatarUrl ?? null,
            role: 'owner',
            passwordHash,
          },
        );
        const environment = await environments.insertWithKeys(
          trx,
          tenant.id,
          input.environment ?? { name: DEFAULT_ENVIRONMENT_NAME },
          'environment.name',
        );
        const issued = await apiSessions.issue(trx, {
          tenantId: tenant.id,
          accountType: 'tenant_account',
          accountId: owner.id,
          environmentId: null,
          lifetimeSeconds: TENANT_SESSION_LIFETIME_SECONDS,
          meta,
        });
        // Nobody is signed in yet: the new owner is the one who acts.
        await record(trx, {
          tenantId: tenant.id,
          actor: { type: 'tenant_account', id: owner.id },
          action: 'tenant.created',
          target: { type: 'tenant', id: tenant.id },
          ip: meta.ipAddress,
        });
        return { tenant, owner, environment, issued };
      });
    },
    async findVisible(actor, tenantId) {
      return findVisible(actor, tenantId);
    },
    async get(actor, tenantId) {
      const tenant = await findVisible(actor, tenantId);
      requireRole(actor, READ);
      return withEnvironments(tenant);
    },
    async update(actor, tenant, changes) {
      assertOwn(actor, tenant);
      requireRole(actor, MANAGE);
      if (changes.customProperties !== undefined) assertCustomPropertiesFit(changes.customProperties, 'customProperties');
      const updated = await db.transaction(async (trx) => {
        const row = await updateTenant(trx, tenant.id, changes);
        if (!row) throw errors.tenantNotFound();
        await record(trx, byTenantAccount(actor, 'tenant.updated', { type: 'tenant', id: tenant.id }));
        return row;
      });
      return withEnvironments(updated);
    },
    async setCustomProperties(actor, tenant, properties) {
      assertOwn(actor, tenant);
      requireRole(actor, MANAGE);
      return changeCustomProperties(actor, tenant.id, 'tenant.custom_property_set', (existing) =>
        mergeCustomProperties(existing, properties),
      );
    },
    async deleteCustomProperty(actor, tenant, key) {
      assertOwn(actor, tenant);
      requireRole(actor, MANAGE);
      return changeCustomProperties(actor, tenant.id, 'tenant.custom_property_removed', (existing) =>
        withoutCustomProperty(existing, key),
      );
    },
    async remove(actor, tenant) {
      assertOwn(actor, tenant);
      requireRole(actor, 'owner');
      return db.transaction(async (trx) => {
        const environmentIds = (await findEnvironmentsOfTenant(trx, tenant.id)).map((environment) => environment.id);
        // No `tenant.deleted` event is kept: the audit log is the tenant's data and goes with it
        // (audit_events cascades on the tenant), so nothing of a deleted tenant remains.
        if (!(await deleteTenant(trx, tenant.id))) throw errors.tenantNotFound();
        return { environmentIds };
      });
    },
  };
}
