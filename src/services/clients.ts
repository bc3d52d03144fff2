import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import {
  deleteClient,
  findClientById,
  insertClient,
  listClients,
  updateClient,
  type ClientPosition,
  type ClientRow,
  type ClientSettings,
} from '../db/queries/clients.js';
import { deleteArtifactsByClientId } from '../db/queries/oidc-artifacts.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import type { FieldError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { MANAGE, READ, requireRole, type Actor } from './access.js';
import type { ApiResourcesService } from './api-resources.js';
import { clientRuleProblems, usesClientSecret, withClientDefaults, type ClientInput } from './client-rules.js';
import { randomToken, type SecretBox } from './crypto.js';
import { fetchableUrlProblem } from './url-rules.js';

export interface CreatedClient {
  readonly client: ClientRow;
  /** The secret of a confidential client, in clear this once; null for the others. */
  readonly clientSecret: string | null;
}

export interface ClientsService {
  /** Registers a client in the environment (owners and admins); the secret is stored encrypted. */
  create(actor: Actor, environment: EnvironmentRow, input: ClientInput): Promise<CreatedClient>;
  list(
    actor: Actor,
    environment: EnvironmentRow,
    page: { limit: number; after?: ClientPosition | undefined },
  ): Promise<{ rows: ClientRow[]; next: ClientPosition | undefined }>;
  get(actor: Actor, environment: EnvironmentRow, clientId: string): Promise<ClientRow>;
  /**
   * Changes a client (owners and admins). Disabling it ends what it was issued at once; moving
   * it to a secret-based method gives it a new secret (in the answer), away from one drops it.
   */
  update(actor: Actor, environment: EnvironmentRow, clientId: string, patch: ClientPatch): Promise<CreatedClient>;
  /** Deletes a client and everything it was issued. */
  remove(actor: Actor, environment: EnvironmentRow, clientId: string): Promise<void>;
  /** A new secret for a confidential client; the old one stops working at once. */
  rotateSecret(actor: Actor, environment: EnvironmentRow, clientId: string): Promise<CreatedClient>;
}

export type ClientPatch = Partial<Omit<ClientInput, 'jwks' | 'jwksUri' | 'backchannelLogoutUri'>> & {
  readonly jwks?: ClientSettings['jwks'] | undefined;
  readonly jwksUri?: string | null | undefined;
  readonly backchannelLogoutUri?: string | null | undefined;
  readonly disabled?: boolean | undefined;
};

/** The settings a row stands for, with a patch's fields laid over them. */
function patched(client: ClientRow, patch: ClientPatch): ClientSettings {
  const pick = <K extends keyof ClientSettings>(key: K): ClientSettings[K] =>
    (patch[key as keyof ClientPatch] === undefined ? client[key as keyof ClientRow] : patch[key as keyof ClientPatch]) as ClientSettings[K];
  return {
    name: pick('name'),
    redirectUris: pick('redirectUris'),
    postLogoutRedirectUris: pick('postLogoutRedirectUris'),
    grantTypes: pick('grantTypes'),
    tokenEndpointAuthMethod: pick('tokenEndpointAuthMethod'),
    applicationType: pick('applicationType'),
    scopes: pick('scopes'),
    firstParty: pick('firstParty'),
    requirePkce: pick('requirePkce'),
    jwks: pick('jwks') as ClientSettings['jwks'],
    jwksUri: pick('jwksUri'),
    backchannelLogoutUri: pick('backchannelLogoutUri'),
    allowedCorsOrigins: pick('allowedCorsOrigins'),
    idTokenSignedResponseAlg: pick('idTokenSignedResponseAlg'),
    allowedResources: pick('allowedResources'),
  };
}

const scopeOf = (environment: EnvironmentRow) => ({ tenantId: environment.tenantId, environmentId: environment.id });

function assertVisible(actor: Actor, environment: EnvironmentRow): void {
  // The route found the environment through the actor's tenant; this keeps the rule here too.
  if (environment.tenantId !== actor.tenantId) throw errors.environmentNotFound();
}

export function createClientsService(deps: {
  db: Database;
  box: SecretBox;
  config: Pick<Config, 'nodeEnv'>;
  apiResources: Pick<ApiResourcesService, 'unknownResources'>;
}): ClientsService {
  const { db, box, apiResources } = deps;
  const production = deps.config.nodeEnv === 'production';

  async function fetchedUrlProblems(input: {
    jwksUri?: string | null | undefined;
    backchannelLogoutUri?: string | null | undefined;
  }): Promise<FieldError[]> {
    const problems: FieldError[] = [];
    for (const field of ['jwksUri', 'backchannelLogoutUri'] as const) {
      const value = input[field];
      const problem = value === undefined || value === null ? undefined : await fetchableUrlProblem(value, { production });
      if (problem) problems.push({ field, message: problem });
    }
    return problems;
  }

  return {
    async create(actor, environment, input) {
      assertVisible(actor, environment);
      requireRole(actor, MANAGE);
      const settings = withClientDefaults(input);
      const problems = [
        ...clientRuleProblems(settings),
        ...(await fetchedUrlProblems(input)),
        ...(await apiResources.unknownResources(scopeOf(environment), settings.allowedResources)),
      ];
      if (problems.length > 0) throw errors.validation(problems);
      const clientSecret = usesClientSecret(settings.tokenEndpointAuthMethod) ? randomToken(32) : null;
      const client = await db.transaction(async (trx) => {
        const inserted = await insertClient(trx, scopeOf(environment), {
          ...settings,
          clientId: randomToken(18),
          secretEncrypted: clientSecret === null ? null : box.encrypt(clientSecret),
        });
        await record(trx, byTenantAccount(actor, 'client.created', { type: 'client', id: inserted.clientId }));
        return inserted;
      });
      return { client, clientSecret };
    },
    async list(actor, environment, page) {
      assertVisible(actor, environment);
      requireRole(actor, READ);
      return listClients(db, scopeOf(environment), page);
    },
    async get(actor, environment, clientId) {
      assertVisible(actor, environment);
      requireRole(actor, READ);
      const client = await findClientById(db, scopeOf(environment), clientId);
      if (!client) throw errors.clientNotFound();
      return client;
    },
    async update(actor, environment, clientId, patch) {
      assertVisible(actor, environment);
      requireRole(actor, MANAGE);
      const scope = scopeOf(environment);
      const current = await findClientById(db, scope, clientId);
      if (!current) throw errors.clientNotFound();
      const settings = patched(current, patch);
      const problems = [
        ...clientRuleProblems(settings),
        ...(await fetchedUrlProblems(patch)),
        ...(await apiResources.unknownResources(scope, settings.allowedResources)),
      ];
      if (problems.length > 0) throw errors.validation(problems);
      const needsSecret = usesClientSecret(settings.tokenEndpointAuthMethod);
      const clientSecret = needsSecret && current.secretEncrypted === null ? randomToken(32) : null;
      const secretEncrypted = !needsSecret ? null : clientSecret === null ? current.secretEncrypted : box.encrypt(clientSecret);
      const disabled = patch.disabled ?? current.disabled;
      const client = await db.transaction(async (trx) => {
        const updated = await updateClient(trx, scope, clientId, { ...settings, disabled, secretEncrypted });
        if (!updated) throw errors.clientNotFound();
        // Disabled: its codes, tokens and grants end now, and do not come back on enable.
        if (disabled && !current.disabled) await deleteArtifactsByClientId(trx, scope, clientId);
        await record(trx, byTenantAccount(actor, 'client.updated', { type: 'client', id: clientId }));
        return updated;
      });
      return { client, clientSecret };
    },
    async remove(actor, environment, clientId) {
      assertVisible(actor, environment);
      requireRole(actor, MANAGE);
      const scope = scopeOf(environment);
      await db.transaction(async (trx) => {
        if (!(await deleteClient(trx, scope, clientId))) throw errors.clientNotFound();
        await deleteArtifactsByClientId(trx, scope, clientId);
        await record(trx, byTenantAccount(actor, 'client.deleted', { type: 'client', id: clientId }));
      });
    },
    async rotateSecret(actor, environment, clientId) {
      assertVisible(actor, environment);
      requireRole(actor, MANAGE);
      const scope = scopeOf(environment);
      const current = await findClientById(db, scope, clientId);
      if (!current) throw errors.clientNotFound();
      if (!usesClientSecret(current.tokenEndpointAuthMethod)) throw errors.clientHasNoSecret();
      const clientSecret = randomToken(32);
      const client = await db.transaction(async (trx) => {
        const updated = await updateClient(trx, scope, clientId, {
          ...patched(current, {}),
          disabled: current.disabled,
          secretEncrypted: box.encrypt(clientSecret),
        });
        if (!updated) throw errors.clientNotFound();
        await record(trx, byTenantAccount(actor, 'client.secret_rotated', { type: 'client', id: clientId }));
        return updated;
      });
      return { client, clientSecret };
    },
  };
}
