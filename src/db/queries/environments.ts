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

/** Where a page of environments ends: the last row's creation time (to the microsecond) and id. */
export interface EnvironmentPosition {
  readonly createdAt: string;
  readonly id: string;
}

const POSITION_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A tenant's environments, oldest first, optionally those of one exact name. */
export async function listEnvironments(
  db: Queryable,
  scope: TenantScope,
  page: { limit: number; after?: EnvironmentPosition | undefined; name?: string | undefined },
): Promise<{ rows: EnvironmentRow[]; next: EnvironmentPosition | undefined }> {
  const query = db<EnvironmentRecord>('environments')
    .where({ tenant_id: scope.tenantId })
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(page.limit + 1);
  if (page.name !== undefined) query.andWhere({ name: page.name });
  if (page.after) query.andWhereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [page.after.createdAt, page.after.id]);
  const records = (await query) as unknown as Array<EnvironmentRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { createdAt: last.position_at, id: last.id } : undefined;
  return { rows: rows.map(toEnvironmentRow), next };
}

/** The environment, its row locked until the transaction ends (read-modify-write of its JSON). */
export async function lockEnvironment(db: Queryable, scope: EnvironmentScope): Promise<EnvironmentRow | undefined> {
  const record = await db<EnvironmentRecord>('environments')
    .where({ tenant_id: scope.tenantId, id: scope.environmentId })
    .forUpdate()
    .first();
  return record ? toEnvironmentRow(record) : undefined;
}

export interface EnvironmentChanges {
  readonly name?: string | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
  readonly settings?: Record<string, unknown> | undefined;
}

/** Writes the given columns; a name already used in the tenant is a 409. */
export async function updateEnvironment(
  db: Queryable,
  scope: EnvironmentScope,
  changes: EnvironmentChanges,
): Promise<EnvironmentRow | undefined> {
  try {
    const [record] = (await db('environments')
      .where({ tenant_id: scope.tenantId, id: scope.environmentId })
      .update({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.customProperties !== undefined ? { custom_properties: JSON.stringify(changes.customProperties) } : {}),
        ...(changes.settings !== undefined ? { settings: JSON.stringify(changes.settings) } : {}),
        updated_at: db.fn.now(),
      })
      .returning('*')) as EnvironmentRecord[];
    return record ? toEnvironmentRow(record) : undefined;
  } catch (error) {
    if (uniqueViolationConstraint(error) === 'environments__tenant_id_name') throw errors.environmentNameTaken('name');
    throw error;
  }
}

/** Deletes the environment; its accounts, clients, keys and artefacts go by cascade. */
export async function deleteEnvironment(db: Queryable, scope: EnvironmentScope): Promise<boolean> {
  const count = await db('environments').where({ tenant_id: scope.tenantId, id: scope.environmentId }).delete();
  return count > 0;
}
