import type { Database, Queryable } from '../db/database.js';
import {
  deleteApiSession,
  findApiSessionByTokenHash,
  insertApiSession,
  touchApiSession,
  type ApiSessionAccountType,
  type ApiSessionRow,
} from '../db/queries/api-sessions.js';
import { randomToken, sha256Hex } from './crypto.js';

const DAY = 24 * 60 * 60;
/** Tenant accounts' API sessions; environment accounts' follow their environment's settings. */
export const TENANT_SESSION_LIFETIME_SECONDS = 30 * DAY;
export const TENANT_SESSION_IDLE_SECONDS = 7 * DAY;
/** last_active_at is written at most this often: the idle window slides without a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface RequestMeta {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export interface IssuedSession {
  /** The bearer value, shown once (cookie or answer); only its SHA-256 is stored. */
  readonly token: string;
  readonly session: ApiSessionRow;
}

export interface SessionExpectation {
  readonly accountType: ApiSessionAccountType;
  readonly tenantId?: string;
  readonly environmentId?: string;
  readonly idleSeconds: number;
}

export interface ApiSessionsService {
  issue(
    db: Queryable,
    input: {
      tenantId: string;
      accountType: ApiSessionAccountType;
      accountId: string;
      environmentId: string | null;
      lifetimeSeconds: number;
      meta: RequestMeta;
    },
  ): Promise<IssuedSession>;
  /** The session a token opens, when it is of the expected kind and context and still alive. */
  validate(token: string | undefined, expected: SessionExpectation): Promise<ApiSessionRow | undefined>;
  /** A session by its token alone, alive or not; the caller checks its kind and tenant. */
  peek(token: string | undefined): Promise<ApiSessionRow | undefined>;
  revoke(session: ApiSessionRow): Promise<void>;
}

function matches(session: ApiSessionRow, expected: SessionExpectation): boolean {
  if (session.accountType !== expected.accountType) return false;
  if (expected.tenantId !== undefined && session.tenantId !== expected.tenantId) return false;
  if (expected.accountType === 'tenant_account') return session.environmentId === null;
  return expected.environmentId !== undefined && session.environmentId === expected.environmentId;
}

export function createApiSessionsService(deps: { db: Database }): ApiSessionsService {
  const { db } = deps;
  const peek = async (token: string | undefined) =>
    token ? findApiSessionByTokenHash(db, sha256Hex(token)) : undefined;

  return {
    async issue(trx, input) {
      const token = randomToken(32);
      const session = await insertApiSession(trx, input, {
        tokenHash: sha256Hex(token),
        accountType: input.accountType,
        accountId: input.accountId,
        environmentId: input.environmentId,
        ipAddress: input.meta.ipAddress,
        userAgent: input.meta.userAgent,
        expiresAt: new Date(Date.now() + input.lifetimeSeconds * 1000),
      });
      return { token, session };
    },
    peek,
    async validate(token, expected) {
      const session = await peek(token);
      if (!session || !matches(session, expected)) return undefined;
      const now = new Date();
      const idleUntil = session.lastActiveAt.getTime() + expected.idleSeconds * 1000;
      if (session.expiresAt <= now || idleUntil <= now.getTime()) {
        await deleteApiSession(db, session, session.id);
        return undefined;
      }
      if (now.getTime() - session.lastActiveAt.getTime() < TOUCH_INTERVAL_MS) return session;
      await touchApiSession(db, session, session.id, now);
      return { ...session, lastActiveAt: now };
    },
    async revoke(session) {
      await deleteApiSession(db, session, session.id);
    },
  };
}
