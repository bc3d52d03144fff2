import type { RouterContext } from '@koa/router';
import type Router from '@koa/router';

/** Who is calling the admin API, once authenticated. */
export interface TenantActor {
  readonly type: 'tenant_account';
  readonly tenantId: string;
  readonly accountId: string;
  readonly role: 'owner' | 'admin' | 'user';
  readonly sessionId: string;
  /** How the credential came: a cookie needs the origin and content-type checks on writes. */
  readonly via: 'cookie';
}

export interface AppState {
  actor?: TenantActor;
  requestId: string;
}

export type AppContext = RouterContext<AppState>;
export type AppRouter = Router<AppState>;
