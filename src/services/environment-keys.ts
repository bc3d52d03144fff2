import type { Database } from '../db/database.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import { errors } from '../errors/codes.js';
import { byTenantAccount, record } from './audit.js';
import { MANAGE, READ, requireRole, type Actor } from './access.js';
import { resolveSettings } from './environment-settings.js';
import type { PublishedKey, SigningKeysService } from './signing-keys.js';

export interface EnvironmentKeysService {
  /** An environment's published signing keys (any role of its tenant). */
  list(actor: Actor, environment: EnvironmentRow): Promise<PublishedKey[]>;
  /** Rotates now (owners and admins): new keys sign at once, the old ones keep verifying. */
  rotate(actor: Actor, environment: EnvironmentRow): Promise<PublishedKey[]>;
}

export function createEnvironmentKeysService(deps: { db: Database; signingKeys: SigningKeysService }): EnvironmentKeysService {
  const { db, signingKeys } = deps;
  const scopeOf = (environment: EnvironmentRow, actor: Actor) => {
    if (environment.tenantId !== actor.tenantId) throw errors.environmentNotFound();
    return { tenantId: environment.tenantId, environmentId: environment.id };
  };
  return {
    async list(actor, environment) {
      const scope = scopeOf(environment, actor);
      requireRole(actor, READ);
      return signingKeys.list(db, scope);
    },
    async rotate(actor, environment) {
      const scope = scopeOf(environment, actor);
      requireRole(actor, MANAGE);
      // The old keys stay published as long as what they signed lives (signing-keys.ts).
      await signingKeys.rotateNow(db, scope, resolveSettings(environment.settings));
      // rotateNow runs its own transaction (it generates the keys inside it): recorded once it held.
      await record(db, byTenantAccount(actor, 'keys.rotated', { type: 'environment', id: environment.id }));
      return signingKeys.list(db, scope);
    },
  };
}
