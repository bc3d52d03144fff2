import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';
import { errors } from '../../errors/codes.js';
import { uniqueViolationConstraint } from './unique-violation.js';

export interface ApiResourceRow {
  readonly id: string;
  readonly tenantId: string;
  readonly environmentId: string;
  readonly identifier: string;
  readonly name: string;
  readonly scopes: string[];
  readonly accessTokenFormat: 'jwt' | 'opaque';
  /** Seconds; null: the environment's access-token lifetime. */
  readonly accessTokenTtl: number | null;
  readonly introspectors: string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface ApiResourceRecord {
  id: string;
  tenant_id: string;
  environment_id: string;
  identifier: string;
  name: string;
  scopes: string[];
  access_token_format: 'jwt' | 'opaque';
  access_token_ttl: number | null;
  introspectors: string[];
  created_at: Date;
  updated_at: Date;
}

const toRow = (record: ApiResourceRecord): ApiResourceRow => ({
  id: record.id,
  tenantId: record.tenant_id,
  environmentId: record.environment_id,
  identifier: record.identifier,
  name: record.name,
  scopes: record.scopes,
  accessTokenFormat: record.access_token_format,
  accessTokenTtl: record.access_token_ttl,
  introspectors: record.introspectors,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export interface ApiResourceSettings {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly accessTokenFormat: 'jwt' | 'opaque';
  readonly accessTokenTtl: number | null;
  readonly introspectors: readonly string[];
}

const columns = (settings: ApiResourceSettings) => ({
  name: settings.name,
  scopes: JSON.stringify(settings.scopes),
  access_token_format: settings.accessTokenFormat,
  access_token_ttl: settings.accessTokenTtl,
  introspectors: JSON.stringify(settings.introspectors),
});

export async function insertApiResource(
  db: Queryable,
  scope: EnvironmentScope,
  resource: ApiResourceSettings & { identifier: string },
): Promise<ApiResourceRow> {
  try {
    const [record] = (await db('api_resources')
      .insert({ ...environmentWhere(scope), identifier: resource.identifier, ...columns(resource) })
      .returning('*')) as ApiResourceRecord[];
    return toRow(record as ApiResourceRecord);
  } catch (error) {
    if (uniqueViolationConstraint(error) === 'api_resources__environment_identifier') throw errors.resourceIdentifierTaken();
    throw error;
  }
}

export async function findApiResourceById(db: Queryable, scope: EnvironmentScope, id: string): Promise<ApiResourceRow | undefined> {
  const record = await db<ApiResourceRecord>('api_resources').where({ ...environmentWhere(scope), id }).first();
  return record ? toRow(record) : undefined;
}

export async function findApiResourceByIdentifier(
  db: Queryable,
  scope: EnvironmentScope,
  identifier: string,
): Promise<ApiResourceRow | undefined> {
  const record = await db<ApiResourceRecord>('api_resources').where({ ...environmentWhere(scope), identifier }).first();
  return record ? toRow(record) : undefined;
}

/** Which of these identifiers name resources of the environment. */
export async function findExistingIdentifiers(db: Queryable, scope: EnvironmentScope, identifiers: readonly string[]): Promise<Set<string>> {
  if (identifiers.length === 0) return new Set();
  const records = await db<ApiResourceRecord>('api_resources')
    .where(environmentWhere(scope))
    .whereIn('identifier', identifiers as string[])
    .select('identifier');
  return new Set(records.map((record) => record.identifier));
}

/** Oldest first, `limit + 1` read to tell whether another page follows. */
export async function listApiResources(
  db: Queryable,
  scope: EnvironmentScope,
  page: { limit: number; afterId?: string | undefined },
): Promise<{ rows: ApiResourceRow[]; next: string | undefined }> {
  const query = db<ApiResourceRecord>('api_resources').where(environmentWhere(scope)).orderBy('id').limit(page.limit + 1);
  if (page.afterId) query.andWhere('id', '>', page.afterId);
  const records = await query;
  const rows = records.slice(0, page.limit).map(toRow);
  return { rows, next: records.length > page.limit ? rows[rows.length - 1]?.id : undefined };
}

export async function updateApiResource(
  db: Queryable,
  scope: EnvironmentScope,
  id: string,
  settings: ApiResourceSettings,
): Promise<ApiResourceRow | undefined> {
  const [record] = (await db('api_resources')
    .where({ ...environmentWhere(scope), id })
    .update({ ...columns(settings), updated_at: db.fn.now() })
    .returning('*')) as ApiResourceRecord[];
  return record ? toRow(record) : undefined;
}

export async function deleteApiResource(db: Queryable, scope: EnvironmentScope, id: string): Promise<boolean> {
  return (await db('api_resources').where({ ...environmentWhere(scope), id }).delete()) > 0;
}

/** Whether any client of the environment lists this identifier in its allowed resources. */
export async function isResourceAllowedToAnyClient(db: Queryable, scope: EnvironmentScope, identifier: string): Promise<boolean> {
  const record = await db('oidc_clients')
    .where(environmentWhere(scope))
    .andWhereRaw('allowed_resources @> ?::jsonb', [JSON.stringify([identifier])])
    .first();
  return record !== undefined;
}
