import type { Database, Queryable } from '../db/database.js';
import { deleteApiSessionsOfEnvironment } from '../db/queries/api-sessions.js';
import {
  deleteEnvironment,
  findEnvironmentById,
  findEnvironmentInTenant,
  insertEnvironment,
  listEnvironments,
  lockEnvironment,
  updateEnvironment,
  type EnvironmentPosition,
  type EnvironmentRow,
} from '../db/queries/environments.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { MANAGE, READ, requireOwnTenant, requireRole, type Actor } from './access.js';
import { assertCustomPropertiesFit, mergeCustomProperties, withoutCustomProperty } from './custom-properties.js';
import { environmentSettingsSchema, type StoredEnvironmentSettings } from './environment-settings.js';
import type { SigningKeysService } from './signing-keys.js';

export interface NewEnvironmentInput {
  readonly name: string;
  readonly customProperties?: Record<string, unknown> | undefined;
}

export interface EnvironmentChangesInput {
  readonly name?: string | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
  /** Merged key by key into the stored settings (each group's fields over the stored ones). */
  readonly settings?: StoredEnvironmentSettings | undefined;
}

export interface EnvironmentsService {
  /** The environment row by its id alone (an issuer URL carries nothing else), or undefined. */
  findById(environmentId: string): Promise<EnvironmentRow | undefined>;
  /** The environment when it belongs to the actor's tenant; otherwise 404, as if it did not exist. */
  findVisible(actor: Actor, environmentId: string): Promise<EnvironmentRow>;
  /** One environment of the actor's tenant (any role). */
  get(actor: Actor, tenantId: string, environmentId: string): Promise<EnvironmentRow>;
  /** A new environment with its signing keys, in one transaction (owners and admins). */
  create(actor: Actor, tenantId: string, input: NewEnvironmentInput): Promise<EnvironmentRow>;
  /** The tenant's environments (any role), optionally those of one exact name. */
  list(
    actor: Actor,
    tenantId: string,
    page: { limit: number; after?: EnvironmentPosition | undefined; name?: string | undefined },
  ): Promise<{ rows: EnvironmentRow[]; next: EnvironmentPosition | undefined }>;
  /** Name, custom properties and settings (owners and admins). */
  update(actor: Actor, environment: EnvironmentRow, changes: EnvironmentChangesInput): Promise<EnvironmentRow>;
  /** The environment and everything in it, its accounts' API sessions included (owners and admins). */
  remove(actor: Actor, environment: EnvironmentRow): Promise<void>;
  /** Sets every key given, literally (owners and admins). */
  setCustomProperties(actor: Actor, environment: EnvironmentRow, properties: Record<string, unknown>): Promise<EnvironmentRow>;
  /** Removes one key, literally (owners and admins). */
  deleteCustomProperty(actor: Actor, environment: EnvironmentRow, key: string): Promise<EnvironmentRow>;
  /** Inside a caller's transaction (tenant creation): the row and its keys. */
  insertWithKeys(trx: Queryable, tenantId: string, input: NewEnvironmentInput, fieldPath?: string): Promise<EnvironmentRow>;
}

export function createEnvironmentsService(deps: { db: Database; signingKeys: SigningKeysService }): EnvironmentsService {
  const { db, signingKeys } = deps;

  async function insertWithKeys(trx: Queryable, tenantId: string, input: NewEnvironmentInput, fieldPath = 'name') {
    const environment = await insertEnvironment(
      trx,
      { tenantId },
      { name: input.name, customProperties: input.customProperties ?? {} },
      fieldPath,
    );
    await signingKeys.createInitialKeys(trx, { tenantId, environmentId: environment.id });
    return environment;
  }

  function assertManaged(actor: Actor, environment: EnvironmentRow): void {
    // The route found the environment through the actor's tenant; this keeps the rule here too.
    if (environment.tenantId !== actor.tenantId) throw errors.environmentNotFound();
    requireRole(actor, MANAGE);
  }

  /** Read, change and write the environment's row under its lock, so concurrent edits both hold. */
  function rewrite(
    actor: Actor,
    action: string,
    environment: EnvironmentRow,
    change: (current: EnvironmentRow) => EnvironmentChangesInput,
  ) {
    const scope = { tenantId: environment.tenantId, environmentId: environment.id };
    return db.transaction(async (trx) => {
      const current = await lockEnvironment(trx, scope);
      if (!current) throw errors.environmentNotFound();
      const changes = change(current);
      const updated = await updateEnvironment(trx, scope, {
        name: changes.name,
        customProperties: changes.customProperties,
        settings: changes.settings,
      });
      if (!updated) throw errors.environmentNotFound();
      await record(trx, byTenantAccount(actor, action, { type: 'environment', id: environment.id }));
      return updated;
    });
  }

  return {
    findById: (environmentId) => findEnvironmentById(db, environmentId),
    async findVisible(actor, environmentId) {
      const environment = await findEnvironmentInTenant(db, { tenantId: actor.tenantId, environmentId });
      if (!environment) throw errors.environmentNotFound();
      return environment;
    },
    async get(actor, tenantId, environmentId) {
      requireOwnTenant(actor, tenantId);
      requireRole(actor, READ);
      const environment = await findEnvironmentInTenant(db, { tenantId, environmentId });
      if (!environment) throw errors.environmentNotFound();
      return environment;
    },
    async create(actor, tenantId, input) {
      requireOwnTenant(actor, tenantId);
      requireRole(actor, MANAGE);
      if (input.customProperties) assertCustomPropertiesFit(input.customProperties, 'customProperties');
      return db.transaction(async (trx) => {
        const environment = await insertWithKeys(trx, tenantId, input);
        await record(trx, byTenantAccount(actor, 'environment.created', { type: 'environment', id: environment.id }));
        return environment;
      });
    },
    async list(actor, tenantId, page) {
      requireOwnTenant(actor, tenantId);
      requireRole(actor, READ);
      return listEnvironments(db, { tenantId }, page);
    },
    async update(actor, environment, changes) {
      assertManaged(actor, environment);
      if (changes.customProperties) assertCustomPropertiesFit(changes.customProperties, 'customProperties');
      return rewrite(actor, 'environment.updated', environment, (current) => ({
        name: changes.name,
        customProperties: changes.customProperties,
        settings: changes.settings ? mergeSettings(current.settings, changes.settings) : undefined,
      }));
    },
    async remove(actor, environment) {
      assertManaged(actor, environment);
      const scope = { tenantId: environment.tenantId, environmentId: environment.id };
      await db.transaction(async (trx) => {
        // API sessions name their environment without a foreign key: they go here, the rest by cascade.
        await deleteApiSessionsOfEnvironment(trx, scope);
        if (!(await deleteEnvironment(trx, scope))) throw errors.environmentNotFound();
        await record(trx, byTenantAccount(actor, 'environment.deleted', { type: 'environment', id: environment.id }));
      });
    },
    async setCustomProperties(actor, environment, properties) {
      assertManaged(actor, environment);
      return rewrite(actor, 'environment.custom_property_set', environment, (current) => {
        const merged = mergeCustomProperties(current.customProperties, properties);
        assertCustomPropertiesFit(merged, '(body)');
        return { customProperties: merged };
      });
    },
    async deleteCustomProperty(actor, environment, key) {
      assertManaged(actor, environment);
      return rewrite(actor, 'environment.custom_property_removed', environment, (current) => ({
        customProperties: withoutCustomProperty(current.customProperties, key),
      }));
    },
    insertWithKeys,
  };
}

/** Each group of `given` over the stored group, field by field; the result is checked again. */
function mergeSettings(stored: Record<string, unknown>, given: StoredEnvironmentSettings): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored };
  for (const [group, fields] of Object.entries(given)) {
    const before = merged[group];
    merged[group] = { ...(before && typeof before === 'object' ? before : {}), ...fields };
  }
  const result = environmentSettingsSchema.safeParse(merged);
  if (!result.success) {
    throw errors.validation(result.error.issues.map((issue) => ({ field: ['settings', ...issue.path].join('.'), message: issue.message })));
  }
  return result.data;
}
