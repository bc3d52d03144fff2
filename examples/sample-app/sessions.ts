import { randomBytes } from 'node:crypto';

/** An authorization request this browser started: what the callback must check. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly startedAt: number;
}

/** What the app keeps once the browser is signed in. */
export interface SignedIn {
  readonly idToken: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly userinfo: Readonly<Record<string, unknown>>;
}

export interface Session {
  pending?: PendingLogin;
  signedIn?: SignedIn;
  lastSeenAt: number;
}

export interface SessionStore {
  /** The live session of this id, or undefined (unknown, malformed or idle too long). */
  get(id: string | undefined): Session | undefined;
  /** Stores a session under a new random id and answers the id. */
  create(session: Omit<Session, 'lastSeenAt'>): string;
  destroy(id: string | undefined): void;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sessions in this process's memory, keyed by a random id that only the browser's cookie holds.
 * Bounded: the least recently used go first, and a session idle for `idleMs` is gone.
 */
export function createSessionStore(options: { maxSessions?: number; idleMs?: number } = {}): SessionStore {
  const maxSessions = options.maxSessions ?? 1000;
  const idleMs = options.idleMs ?? 60 * 60 * 1000;
  const sessions = new Map<string, Session>();

  return {
    get(id) {
      if (!id || !SESSION_ID.test(id)) return undefined;
      const session = sessions.get(id);
      if (!session) return undefined;
      if (Date.now() - session.lastSeenAt > idleMs) {
        sessions.delete(id);
        return undefined;
      }
      session.lastSeenAt = Date.now();
      // Re-insert so the Map's order stays least recently used first.
      sessions.delete(id);
      sessions.set(id, session);
      return session;
    },
    create(session) {
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { ...session, lastSeenAt: Date.now() });
      for (const oldest of sessions.keys()) {
        if (sessions.size <= maxSessions) break;
        sessions.delete(oldest);
      }
      return id;
    },
    destroy(id) {
      if (id) sessions.delete(id);
    },
  };
}
