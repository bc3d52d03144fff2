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
