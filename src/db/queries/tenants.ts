import { toEnvironmentRow, type EnvironmentRow } from './environments.js';
import type { Queryable } from '../database.js';

export interface TenantRow {
  readonly id: string;
  readonly name: string;
  readonly customProperties: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface TenantRecord {
  id: string;
  name: string;
  custom_properties: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toTenantRow = (record: TenantRecord): TenantRow => ({
  id: record.id,
  name: record.name,
  customProperties: record.custom_properties,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export interface NewTenant {
  readonly name: string;
  readonly customProperties: Record<string, unknown>;
}

export async function insertTenant(db: Queryable, tenant: NewTenant): Promise<TenantRow> {
  const [record] = (await db('tenants')
    .insert({ name: tenant.name, custom_properties: JSON.stringify(tenant.customProperties) })
    .returning('*')) as TenantRecord[];
  return toTenantRow(record as TenantRecord);
}

/** A tenant is its own scope: its id is the WHERE. */
export async function findTenantById(db: Queryable, tenantId: string): Promise<TenantRow | undefined> {
  const record = await db<TenantRecord>('tenants').where({ id: tenantId }).first();
  return record ? toTenantRow(record) : undefined;
}

/**
 * The tenant's row, locked (FOR NO KEY UPDATE) until the transaction ends: every change that
 * reads and then writes the tenant's JSON or its owners runs one at a time per tenant. Inserts
 * of rows that reference the tenant (sessions, accounts) are not blocked by it.
 */
export async function lockTenant(db: Queryable, tenantId: string): Promise<TenantRow | undefined> {
  const record = await db<TenantRecord>('tenants').where({ id: tenantId }).forNoKeyUpdate().first();
  return record ? toTenantRow(record) : undefined;
}

export interface TenantChanges {
  readonly name?: string | undefined;
  readonly customProperties?: Record<string, unknown> | undefined;
}

/** Writes the given columns; undefined when the tenant is not there. */
export async function updateTenant(db: Queryable, tenantId: string, changes: TenantChanges): Promise<TenantRow | undefined> {
  const [record] = (await db('tenants')
    .where({ id: tenantId })
    .update({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.customProperties !== undefined ? { custom_properties: JSON.stringify(changes.customProperties) } : {}),
      updated_at: db.fn.now(),
    })
    .returning('*')) as TenantRecord[];
  return record ? toTenantRow(record) : undefined;
}

/**
 * Deletes the tenant. Its accounts, API sessions, mails and environments (with their accounts,
 * clients, keys and OIDC artefacts) go by cascade.
 */
export async function deleteTenant(db: Queryable, tenantId: string): Promise<boolean> {
  const count = await db('tenants').where({ id: tenantId }).delete();
  return count > 0;
}

/**
 * All of a tenant's environments, oldest first: what GET /tenants/:id shows (a tenant has a
 * handful; the paginated listing is the environments route).
 */
export async function findEnvironmentsOfTenant(db: Queryable, tenantId: string): Promise<EnvironmentRow[]> {
  const records = (await db('environments')
    .where({ tenant_id: tenantId })
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as Array<Parameters<typeof toEnvironmentRow>[0]>;
  return records.map(toEnvironmentRow);
}
