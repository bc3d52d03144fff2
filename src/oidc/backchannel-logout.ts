import type Provider from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { EndedSessions } from '../services/session-endings.js';

/** What oidc-provider's Client model offers for back-channel logout (its types leave it out). */
interface LogoutCapableClient {
  readonly backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/**
 * Sends a logout token (OIDC Back-Channel Logout 1.0) to every client of the ended sign-ins
 * that registered a backchannel_logout_uri, as oidc-provider does on an RP-initiated logout.
 * Best effort, like the provider's own: a client that does not answer 200/204 is logged.
 */
export async function sendBackchannelLogouts(provider: Provider, ended: EndedSessions, logger: Logger): Promise<void> {
  await Promise.all(
    ended.logins.map(async ({ clientId, sid }) => {
      const client = (await provider.Client.find(clientId)) as unknown as LogoutCapableClient | undefined;
      if (!client?.backchannelLogoutUri) return;
      try {
        await client.backchannelLogout(ended.accountId, sid);
      } catch (error) {
        logger.warn({ err: error, environmentId: ended.scope.environmentId, clientId }, 'back-channel logout failed');
      }
    }),
  );
}
