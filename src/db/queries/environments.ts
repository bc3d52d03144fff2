import type { Queryable } from '../database.js';

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
