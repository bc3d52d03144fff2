import type { Database } from '../db/database.js';
import {
  deleteApiResource,
  findApiResourceById,
  findExistingIdentifiers,
  insertApiResource,
  isResourceAllowedToAnyClient,
  listApiResources,
  updateApiResource,
  type ApiResourceRow,
} from '../db/queries/api-resources.js';
import { findExistingClientIds } from '../db/queries/clients.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import type { EnvironmentScope } from '../db/scope.js';
import type { FieldError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { MANAGE, READ, requireRole, type Actor } from './access.js';

export interface ApiResourceInput {
  readonly identifier: string;
  readonly name: string;
  readonly scopes?: readonly string[] | undefined;
  readonly accessTokenFormat?: 'jwt' | 'opaque' | undefined;
  readonly accessTokenTtl?: number | null | undefined;
  readonly introspectors?: readonly string[] | undefined;
}

export type ApiResourcePatch = Partial<Omit<ApiResourceInput, 'identifier'>>;

export interface ApiResourcesService {
  create(actor: Actor, environment: EnvironmentRow, input: ApiResourceInput): Promise<ApiResourceRow>;
  list(actor: Actor, environment: EnvironmentRow, page: { limit: number; afterId?: string | undefined }): Promise<{ rows: ApiResourceRow[]; next: string | undefined }>;
  get(actor: Actor, environment: EnvironmentRow, id: string): Promise<ApiResourceRow>;
  update(actor: Actor, environment: EnvironmentRow, id: string, patch: ApiResourcePatch): Promise<ApiResourceRow>;
  /** Deletes a resource no client lists any more (409 otherwise). */
  remove(actor: Actor, environment: EnvironmentRow, id: string): Promise<void>;
  /** Field errors for a client's allowedResources naming no resource of the environment. */
  unknownResources(scope: EnvironmentScope, identifiers: readonly string[]): Promise<FieldError[]>;
}

const scopeOf = (actor: Actor, environment: EnvironmentRow): EnvironmentScope => {
  if (environment.tenantId !== actor.tenantId) throw errors.environmentNotFound();
  return { tenantId: environment.tenantId, environmentId: environment.id };
};

export function createApiResourcesService(deps: { db: Database }): ApiResourcesService {
  const { db } = deps;

  async function find(scope: EnvironmentScope, id: string): Promise<ApiResourceRow> {
    const resource = await findApiResourceById(db, scope, id);
    if (!resource) throw errors.resourceNotFound();
    return resource;
  }

  /** 400 naming each introspector that is no client of the environment. */
  async function assertIntrospectorsExist(scope: EnvironmentScope, introspectors: readonly string[] | undefined): Promise<void> {
    if (!introspectors || introspectors.length === 0) return;
    const existing = await findExistingClientIds(db, scope, introspectors);
    const problems = introspectors.flatMap((clientId, index) =>
      existing.has(clientId) ? [] : [{ field: `introspectors[${index}]`, message: 'names no client of this environment' }],
    );
    if (problems.length > 0) throw errors.validation(problems);
  }

  return {
    async create(actor, environment, input) {
      const scope = scopeOf(actor, environment);
      requireRole(actor, MANAGE);
      await assertIntrospectorsExist(scope, input.introspectors);
      return db.transaction(async (trx) => {
        const resource = await insertApiResource(trx, scope, {
          identifier: input.identifier,
          name: input.name,
          scopes: input.scopes ?? [],
          accessTokenFormat: input.accessTokenFormat ?? 'jwt',
          accessTokenTtl: input.accessTokenTtl ?? null,
          introspectors: input.introspectors ?? [],
        });
        await record(trx, byTenantAccount(actor, 'resource.created', { type: 'resource', id: resource.id }));
        return resource;
      });
    },
    async list(actor, environment, page) {
      const scope = scopeOf(actor, environment);
      requireRole(actor, READ);
      return listApiResources(db, scope, page);
    },
    async get(actor, environment, id) {
      const scope = scopeOf(actor, environment);
      requireRole(actor, READ);
      return find(scope, id);
    },
    async update(actor, environment, id, patch) {
      const scope = scopeOf(actor, environment);
      requireRole(actor, MANAGE);
      const current = await find(scope, id);
      await assertIntrospectorsExist(scope, patch.introspectors);
      return db.transaction(async (trx) => {
        const updated = await updateApiResource(trx, scope, id, {
          name: patch.name ?? current.name,
          scopes: patch.scopes ?? current.scopes,
          accessTokenFormat: patch.accessTokenFormat ?? current.accessTokenFormat,
          accessTokenTtl: patch.accessTokenTtl === undefined ? current.accessTokenTtl : patch.accessTokenTtl,
          introspectors: patch.introspectors ?? current.introspectors,
        });
        if (!updated) throw errors.resourceNotFound();
        await record(trx, byTenantAccount(actor, 'resource.updated', { type: 'resource', id }));
        return updated;
      });
    },
    async remove(actor, environment, id) {
      const scope = scopeOf(actor, environment);
      requireRole(actor, MANAGE);
      const resource = await find(scope, id);
      await db.transaction(async (trx) => {
        if (await isResourceAllowedToAnyClient(trx, scope, resource.identifier)) throw errors.resourceInUse();
        await deleteApiResource(trx, scope, id);
        await record(trx, byTenantAccount(actor, 'resource.deleted', { type: 'resource', id }));
      });
    },
    async unknownResources(scope, identifiers) {
      const existing = await findExistingIdentifiers(db, scope, identifiers);
      return identifiers.flatMap((identifier, index) =>
        existing.has(identifier) ? [] : [{ field: `allowedResources[${index}]`, message: 'names no API resource of this environment' }],
      );
    },
  };
}
