import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import { findClientById, insertClient, listClients, type ClientPosition, type ClientRow } from '../db/queries/clients.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import type { FieldError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';
import { MANAGE, READ, requireRole, type Actor } from './access.js';
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
}

const scopeOf = (environment: EnvironmentRow) => ({ tenantId: environment.tenantId, environmentId: environment.id });

function assertVisible(actor: Actor, environment: EnvironmentRow): void {
  // The route found the environment through the actor's tenant; this keeps the rule here too.
  if (environment.tenantId !== actor.tenantId) throw errors.environmentNotFound();
}

export function createClientsService(deps: { db: Database; box: SecretBox; config: Pick<Config, 'nodeEnv'> }): ClientsService {
  const { db, box } = deps;
  const production = deps.config.nodeEnv === 'production';

  async function fetchedUrlProblems(input: ClientInput): Promise<FieldError[]> {
    const problems: FieldError[] = [];
    for (const field of ['jwksUri', 'backchannelLogoutUri'] as const) {
      const value = input[field];
      const problem = value === undefined ? undefined : await fetchableUrlProblem(value, { production });
      if (problem) problems.push({ field, message: problem });
    }
    return problems;
  }

  return {
    async create(actor, environment, input) {
      assertVisible(actor, environment);
      requireRole(actor, MANAGE);
      const settings = withClientDefaults(input);
      const problems = [...clientRuleProblems(settings), ...(await fetchedUrlProblems(input))];
      if (problems.length > 0) throw errors.validation(problems);
      const clientSecret = usesClientSecret(settings.tokenEndpointAuthMethod) ? randomToken(32) : null;
      const client = await insertClient(db, scopeOf(environment), {
        ...settings,
        clientId: randomToken(18),
        secretEncrypted: clientSecret === null ? null : box.encrypt(clientSecret),
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
  };
}
