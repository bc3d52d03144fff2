import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';

/** OIDC client ids are random URL-safe strings, not UUIDs; nothing else is ever looked up. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
export type GrantType =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials'
  | 'urn:ietf:params:oauth:grant-type:device_code';

export interface ClientRow {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly clientId: string;
  readonly name: string;
  readonly redirectUris: string[];
  readonly postLogoutRedirectUris: string[];
  readonly grantTypes: GrantType[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly applicationType: 'web' | 'native';
  readonly scopes: string[];
  readonly firstParty: boolean;
  readonly requirePkce: boolean;
  readonly jwks: { keys: unknown[] } | null;
  readonly jwksUri: string | null;
  readonly backchannelLogoutUri: string | null;
  readonly allowedCorsOrigins: string[];
  readonly idTokenSignedResponseAlg: 'RS256' | 'ES256';
  readonly allowedResources: string[];
  readonly disabled: boolean;
  /** Ciphertext (services/crypto SecretBox, purpose client-secret); never in a response. */
  readonly secretEncrypted: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ClientRecord {
  tenant_id: string;
  environment_id: string;
  client_id: string;
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: GrantType[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  application_type: 'web' | 'native';
  scopes: string[];
  first_party: boolean;
  require_pkce: boolean;
  jwks: { keys: unknown[] } | null;
  jwks_uri: string | null;
  backchannel_logout_uri: string | null;
  allowed_cors_origins: string[];
  id_token_signed_response_alg: 'RS256' | 'ES256';
  allowed_resources: string[];
  disabled: boolean;
  secret_encrypted: string | null;
  created_at: Date;
  updated_at: Date;
}

export const toClientRow = (record: ClientRecord): ClientRow => ({
  tenantId: record.tenant_id,
  environmentId: record.environment_id,
  clientId: record.client_id,
  name: record.name,
  redirectUris: record.redirect_uris,
  postLogoutRedirectUris: record.post_logout_redirect_uris,
  grantTypes: record.grant_types,
  tokenEndpointAuthMethod: record.token_endpoint_auth_method,
  applicationType: record.application_type,
  scopes: record.scopes,
  firstParty: record.first_party,
  requirePkce: record.require_pkce,
  jwks: record.jwks,
  jwksUri: record.jwks_uri,
  backchannelLogoutUri: record.backchannel_logout_uri,
  allowedCorsOrigins: record.allowed_cors_origins,
  idTokenSignedResponseAlg: record.id_token_signed_response_alg,
  allowedResources: record.allowed_resources,
  disabled: record.disabled,
  secretEncrypted: record.secret_encrypted,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export async function findClientById(
  db: Queryable,
  scope: EnvironmentScope,
  clientId: string,
): Promise<ClientRow | undefined> {
  const record = await db<ClientRecord>('oidc_clients')
    .where({ ...environmentWhere(scope), client_id: clientId })
    .first();
  return record ? toClientRow(record) : undefined;
}

/** Which of these client ids name a client of the environment. */
export async function findExistingClientIds(db: Queryable, scope: EnvironmentScope, clientIds: readonly string[]): Promise<Set<string>> {
  const valid = clientIds.filter((clientId) => CLIENT_ID_PATTERN.test(clientId));
  if (valid.length === 0) return new Set();
  const rows = await db<ClientRecord>('oidc_clients').where(environmentWhere(scope)).whereIn('client_id', valid).select('client_id');
  return new Set(rows.map((row) => row.client_id));
}

/** What a client is registered with, every default filled in: what the client rules check. */
export interface ClientSettings {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly applicationType: 'web' | 'native';
  readonly scopes: readonly string[];
  readonly firstParty: boolean;
  readonly requirePkce: boolean;
  readonly jwks: { keys: Record<string, unknown>[] } | null;
  readonly jwksUri: string | null;
  readonly backchannelLogoutUri: string | null;
  readonly allowedCorsOrigins: readonly string[];
  readonly idTokenSignedResponseAlg: 'RS256' | 'ES256';
  /** Identifiers of the environment's API resources the client may ask tokens for. */
  readonly allowedResources: readonly string[];
}

export interface NewClient extends ClientSettings {
  readonly clientId: string;
  readonly secretEncrypted: string | null;
}

export async function insertClient(db: Queryable, scope: EnvironmentScope, client: NewClient): Promise<ClientRow> {
  const [record] = (await db('oidc_clients')
    .insert({
      ...environmentWhere(scope),
      client_id: client.clientId,
      ...settingsColumns(client),
      secret_encrypted: client.secretEncrypted,
    })
    .returning('*')) as ClientRecord[];
  return toClientRow(record as ClientRecord);
}

function settingsColumns(client: ClientSettings) {
  return {
    name: client.name,
    redirect_uris: JSON.stringify(client.redirectUris),
    post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
    grant_types: JSON.stringify(client.grantTypes),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    scopes: JSON.stringify(client.scopes),
    first_party: client.firstParty,
    require_pkce: client.requirePkce,
    jwks: client.jwks ? JSON.stringify(client.jwks) : null,
    jwks_uri: client.jwksUri,
    backchannel_logout_uri: client.backchannelLogoutUri,
    allowed_cors_origins: JSON.stringify(client.allowedCorsOrigins),
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    allowed_resources: JSON.stringify(client.allowedResources),
  };
}

export interface ClientChange extends ClientSettings {
  readonly disabled: boolean;
  readonly secretEncrypted: string | null;
}

/** Replaces a client's settings, state and secret; undefined when it is not there. */
export async function updateClient(
  db: Queryable,
  scope: EnvironmentScope,
  clientId: string,
  change: ClientChange,
): Promise<ClientRow | undefined> {
  const [record] = (await db('oidc_clients')
    .where({ ...environmentWhere(scope), client_id: clientId })
    .update({
      ...settingsColumns(change),
      disabled: change.disabled,
      secret_encrypted: change.secretEncrypted,
      updated_at: db.fn.now(),
    })
    .returning('*')) as ClientRecord[];
  return record ? toClientRow(record) : undefined;
}

export async function deleteClient(db: Queryable, scope: EnvironmentScope, clientId: string): Promise<boolean> {
  return (await db('oidc_clients').where({ ...environmentWhere(scope), client_id: clientId }).delete()) > 0;
}

/** Where a page of a list ends: the last row's creation time (to the microsecond) and id. */
export interface ClientPosition {
  readonly createdAt: string;
  readonly clientId: string;
}

const POSITION_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Oldest first; `limit + 1` rows are read to tell whether another page follows. */
export async function listClients(
  db: Queryable,
  scope: EnvironmentScope,
  page: { limit: number; after?: ClientPosition | undefined },
): Promise<{ rows: ClientRow[]; next: ClientPosition | undefined }> {
  const query = db<ClientRecord>('oidc_clients')
    .where(environmentWhere(scope))
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'client_id', order: 'asc' },
    ])
    .limit(page.limit + 1);
  if (page.after) {
    query.andWhereRaw('(created_at, client_id) > (?::timestamptz, ?)', [page.after.createdAt, page.after.clientId]);
  }
  const records = (await query) as unknown as Array<ClientRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { createdAt: last.position_at, clientId: last.client_id } : undefined;
  return { rows: rows.map(toClientRow), next };
}
