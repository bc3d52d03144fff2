import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import { insertTenantAccount, type TenantAccountRow } from '../db/queries/tenant-accounts.js';
import { insertTenant, type TenantRow } from '../db/queries/tenants.js';
import { TENANT_SESSION_LIFETIME_SECONDS, type ApiSessionsService, type IssuedSession, type RequestMeta } from './api-sessions.js';
import type { EnvironmentsService, NewEnvironmentInput } from './environments.js';
import { errors } from '../errors/codes.js';
import { constantTimeEqual, sha256Hex } from './crypto.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordHasher } from './passwords.js';

export const DEFAULT_ENVIRONMENT_NAME = 'default';

export interface NewTenantInput {
  readonly tenant: { name: string; customProperties?: Record<string, unknown> | undefined };
  readonly account: {
    name: string;
    email: string;
    username: string;
    password: string;
    phone?: string | undefined;
    avatarUrl?: string | undefined;
  };
  readonly environment?: NewEnvironmentInput | undefined;
}

export interface CreatedTenant {
  readonly tenant: TenantRow;
  readonly owner: TenantAccountRow;
  readonly environment: EnvironmentRow;
  readonly issued: IssuedSession;
}

export interface TenantsService {
  /**
   * Open tenant signup (ALLOW_TENANT_SIGNUP), or the operator's token as a bearer; otherwise
   * 403 `tenant.signup_closed`.
   */
  assertMayCreate(bearerToken: string | undefined): void;
  /**
   * The tenant, its owner, its first environment (with signing keys) and the owner's session,
   * all in one transaction: a failure anywhere leaves nothing behind.
   */
  create(input: NewTenantInput, meta: RequestMeta): Promise<CreatedTenant>;
}

export function createTenantsService(deps: {
  config: Pick<Config, 'allowTenantSignup' | 'operatorToken'>;
  db: Database;
  hasher: PasswordHasher;
  environments: EnvironmentsService;
  apiSessions: ApiSessionsService;
}): TenantsService {
  const { config, db, hasher, environments, apiSessions } = deps;
  return {
    assertMayCreate(bearerToken) {
      if (config.allowTenantSignup) return;
      const operatorToken = config.operatorToken;
      if (!operatorToken || !bearerToken || !constantTimeEqual(sha256Hex(bearerToken), sha256Hex(operatorToken))) {
        throw errors.tenantSignupClosed();
      }
    },
    async create(input, meta) {
      // Hashed before the transaction opens: no connection is held while argon2 runs.
      const passwordHash = await hasher.hash(input.account.password);
      return db.transaction(async (trx) => {
        const tenant = await insertTenant(trx, {
          name: input.tenant.name,
          customProperties: input.tenant.customProperties ?? {},
        });
        const owner = await insertTenantAccount(
          trx,
          { tenantId: tenant.id },
          {
            name: input.account.name,
            email: input.account.email,
            emailNormalized: normalizeIdentifier(input.account.email),
            username: input.account.username,
            usernameNormalized: normalizeIdentifier(input.account.username),
            phone: input.account.phone ?? null,
            avatarUrl: input.account.avatarUrl ?? null,
            role: 'owner',
            passwordHash,
          },
        );
        const environment = await environments.insertWithKeys(
          trx,
          tenant.id,
          input.environment ?? { name: DEFAULT_ENVIRONMENT_NAME },
          'environment.name',
        );
        const issued = await apiSessions.issue(trx, {
          tenantId: tenant.id,
          accountType: 'tenant_account',
          accountId: owner.id,
          environmentId: null,
          lifetimeSeconds: TENANT_SESSION_LIFETIME_SECONDS,
          meta,
        });
        return { tenant, owner, environment, issued };
      });
    },
  };
}
