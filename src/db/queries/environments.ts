import { errors } from '../../errors/codes.js';
import type { Queryable } from '../database.js';
import type { EnvironmentScope, TenantScope } from '../scope.js';
import { uniqueViolationConstraint } from './unique-violation.js';

export interface EnvironmentRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly customProperties: Record<string, unknown>;
  readonly settings: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface EnvironmentRecord {
  id: string;
  tenant_id: string;
  name: string;
  custom_properties: Record<string, unknown>;
  settings: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export const toEnvironmentRow = (record: EnvironmentRecord): EnvironmentRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  name: record.name,
  customProperties: record.custom_properties,
  settings: record.settings,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

/**
 * The one lookup by environment id alone: an issuer URL carries nothing else. Everything else
 * about an environment is read with its tenant id.
 */
export async function findEnvironmentById(db: Queryable, environmentId: string): Promise<EnvironmentRow | undefined> {
  const record = await db<EnvironmentRecord>('environments').where({ id: environmentId }).first();
  return record ? toEnvironmentRow(record) : undefined;
}

/** An environment read with its tenant: another tenant's environment is not found. */
export async function findEnvironmentInTenant(
  db: Queryable,
  scope: EnvironmentScope,
): Promise<EnvironmentRow | undefined> {
  const record = await db<EnvironmentRecord>('environments')
    .where({ tenant_id: scope.tenantId, id: scope.environmentId })
    .first();
  return record ? toEnvironmentRow(record) : undefined;
}

export interface NewEnvironment {
  readonly name: string;
  readonly customProperties: Record<string, unknown>;
  readonly settings?: Record<string, unknown>;
}

/** Inserts; a name already used in the tenant is a 409. */
export async function insertEnvironment(
  db: Queryable,
  scope: TenantScope,
  environment: NewEnvironment,
  fieldPath = 'name',
): Promise<EnvironmentRow> {
  try {
    const [record] = (await db('environments')
      .insert({
        tenant_id: scope.tenantId,
        name: environment.name,
        custom_properties: JSON.stringify(environment.customProperties),
        settings: JSON.stringify(environment.settings ?? {}),
      })
      .returning('*')) as EnvironmentRecord[];
    return toEnvironmentRow(record as EnvironmentRecord);
  } catch (error) {
    if (uniqueViolationConstraint(error) === 'environments__tenant_id_name') throw errors.environmentNameTaken(fieldPath);
    throw error;
  }
}
