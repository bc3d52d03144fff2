import type { ApiSessionRow } from '../../db/queries/api-sessions.js';
import type { ClientRow } from '../../db/queries/clients.js';
import type { EnvironmentRow } from '../../db/queries/environments.js';
import { resolveSettings } from '../../services/environment-settings.js';

/**
 * Every answer is built here, field by field: a row's hash, secret or token hash cannot reach a
 * body by accident.
 */

/** The short form POST /tenants has always answered. */
export function toCreatedSessionResponse(session: ApiSessionRow) {
  return {
    id: session.id,
    accountType: session.accountType,
    accountId: session.accountId,
    contextType: session.accountType === 'tenant_account' ? ('tenant' as const) : ('environment' as const),
    contextId: session.accountType === 'tenant_account' ? session.tenantId : (session.environmentId ?? ''),
    expiresAt: session.expiresAt.toISOString(),
  };
}

export function toSessionResponse(session: ApiSessionRow) {
  return {
    ...toCreatedSessionResponse(session),
    lastActiveAt: session.lastActiveAt.toISOString(),
    createdAt: session.createdAt.toISOString(),
  };
}

export function toEnvironmentResponse(environment: EnvironmentRow) {
  return {
    id: environment.id,
    tenantId: environment.tenantId,
    name: environment.name,
    customProperties: environment.customProperties,
    settings: resolveSettings(environment.settings),
    createdAt: environment.createdAt.toISOString(),
    updatedAt: environment.updatedAt.toISOString(),
  };
}

export function toClientResponse(client: ClientRow) {
  return {
    id: client.clientId,
    clientId: client.clientId,
    tenantId: client.tenantId,
    environmentId: client.environmentId,
    name: client.name,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    applicationType: client.applicationType,
    scopes: client.scopes,
    firstParty: client.firstParty,
    requirePkce: client.requirePkce,
    jwks: client.jwks,
    jwksUri: client.jwksUri,
    backchannelLogoutUri: client.backchannelLogoutUri,
    allowedCorsOrigins: client.allowedCorsOrigins,
    idTokenSignedResponseAlg: client.idTokenSignedResponseAlg,
    allowedResources: client.allowedResources,
    disabled: client.disabled,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
  };
}
