import type { Queryable } from '../db/database.js';
import { deleteApiSessionsOfAccount } from '../db/queries/api-sessions.js';
import { deleteArtifactsByAccountId, findSessionLoginsOfAccount, type SessionLogin } from '../db/queries/oidc-artifacts.js';
import type { EnvironmentScope } from '../db/scope.js';
import type { Logger } from '../logger.js';
import { voidAllLinkTokens } from './link-tokens.js';

/** The OIDC sign-ins one account lost when its sessions ended: whom to tell, by back-channel. */
export interface EndedSessions {
  readonly scope: EnvironmentScope;
  readonly accountId: string;
  readonly logins: readonly SessionLogin[];
}

export type EndedSessionsListener = (ended: EndedSessions) => Promise<void>;

/**
 * Tells the OIDC layer which sign-ins ended outside a logout (a password change or reset, a
 * disable, a delete), so it sends their clients back-channel logout. Services announce after
 * their transaction commits; the listener's failures are logged, never the caller's.
 */
export interface SessionEndings {
  announce(ended: EndedSessions): void;
  subscribe(listener: EndedSessionsListener): void;
  /** Resolves when every announcement made so far has been handled (tests and shutdown). */
  settled(): Promise<void>;
}

export function createSessionEndings(deps: { logger: Logger }): SessionEndings {
  const listeners: EndedSessionsListener[] = [];
  const pending = new Set<Promise<void>>();
  return {
    announce(ended) {
      if (ended.logins.length === 0) return;
      for (const listener of listeners) {
        const handled = listener(ended).catch((error: unknown) => {
          deps.logger.warn({ err: error, environmentId: ended.scope.environmentId }, 'ended sessions not announced');
        });
        pending.add(handled);
        void handled.finally(() => pending.delete(handled));
      }
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}

/**
 * Everything an account holds that lets it in: its API sessions, its OIDC artefacts (sessions,
 * grants, codes, tokens) and its pending links (reset, set-password, verification). Answers the
 * sign-ins that ended, to announce once the transaction has committed.
 */
export async function endEverySession(trx: Queryable, scope: EnvironmentScope, accountId: string): Promise<EndedSessions> {
  const logins = await findSessionLoginsOfAccount(trx, scope, accountId);
  await deleteApiSessionsOfAccount(trx, { tenantId: scope.tenantId, accountType: 'environment_account', accountId });
  await deleteArtifactsByAccountId(trx, scope, accountId);
  await voidAllLinkTokens(trx, { ...scope, accountType: 'environment_account', accountId });
  return { scope, accountId, logins };
}
