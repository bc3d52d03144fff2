import type { RouterContext } from '@koa/router';
import type Router from '@koa/router';

/** Who is calling the admin API, once authenticated. */
export interface TenantActor {
  readonly type: 'tenant_account';
  readonly tenantId: string;
  readonly accountId: string;
  readonly role: 'owner' | 'admin' | 'user';
  /** The session, when `via` is `cookie`. */
  readonly sessionId?: string | undefined;
  /** The key, when `via` is `api_key`. */
  readonly apiKeyId?: string | undefined;
  /**
   * How the credential came: a cookie needs the origin and content-type checks on writes; an API
   * key (`Authorization: Bearer sump_…`) does not, and never manages keys.
   */
  readonly via: 'cookie' | 'api_key';
}

export interface AppState {
  actor?: TenantActor;
  requestId: string;
}

export type AppContext = RouterContext<AppState>;
export type AppRouter = Router<AppState>;
