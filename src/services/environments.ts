import type { Database, Queryable } from '../db/database.js';
import {
  findEnvironmentById,
  findEnvironmentInTenant,
  insertEnvironment,
  type EnvironmentRow,
} from '../db/queries/environments.js';
import { errors } from '../errors/codes.js';
import { MANAGE, READ, requireOwnTenant, requireRole, type Actor } from './access.js';
import type { SigningKeysService } from './signing-keys.js';

export interface NewEnvironmentInput {
  readonly name: string;
  readonly customProperties?: Record<string, unknown> | undefined;
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
      return db.transaction((trx) => insertWithKeys(trx, tenantId, input));
    },
    insertWithKeys,
  };
}
