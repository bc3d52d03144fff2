import type { Database } from '../db/database.js';
import { countHit, readHitCount, uncountHit } from '../db/queries/rate-limits.js';
import { AppError } from '../errors/app-error.js';
import { sha256Hex } from './crypto.js';

export interface RateLimitRule {
  /** How many hits a window allows. */
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * The tenant accounts' sign-in limits (an environment sets its own in `settings.rateLimits`,
 * with these as defaults): per identifier and per address, in 15-minute windows.
 */
export const TENANT_LOGIN_LIMITS = {
  perIdentifier: { limit: 10, windowSeconds: 15 * 60 },
  perAddress: { limit: 60, windowSeconds: 15 * 60 },
} as const satisfies Record<string, RateLimitRule>;

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('request.rate_limited', 429, 'Too many attempts. Wait a while and try again.');
  }
}

export interface RateLimiter {
  /** Counts a hit on every key; throws a RateLimitedError (429) when one is over its limit. */
  hit(keys: ReadonlyArray<readonly [key: string, rule: RateLimitRule]>, now?: Date): Promise<void>;
  /**
   * Counts nothing; throws a RateLimitedError (429) when a key has used up its window already.
   * For limits that count only failures (a wrong code), checked before each attempt.
   */
  check(keys: ReadonlyArray<readonly [key: string, rule: RateLimitRule]>, now?: Date): Promise<void>;
  /**
   * Takes back the hits `hit` counted at `now` (pass the same instant): a sign-in that succeeded
   * is not an attempt against the limit. Counting first and taking back after keeps parallel
   * guesses bounded while they are checked.
   */
  refund(keys: ReadonlyArray<readonly [key: string, rule: RateLimitRule]>, now: Date): Promise<void>;
}

/** The fixed window of `rule` that `now` falls in. */
function windowOf(rule: RateLimitRule, now: Date): { start: Date; end: Date } {
  const windowMs = rule.windowSeconds * 1000;
  const start = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  return { start, end: new Date(start.getTime() + windowMs) };
}

/** Fixed windows in PostgreSQL, so every node counts the same hits. */
export function createRateLimiter(deps: { db: Database }): RateLimiter {
  return {
    async hit(keys, now = new Date()) {
      let retryAfter = 0;
      for (const [key, rule] of keys) {
        const windowMs = rule.windowSeconds * 1000;
        const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
        const windowEnd = new Date(windowStart.getTime() + windowMs);
        const count = await countHit(deps.db, sha256Hex(key), windowStart, windowEnd);
        if (count > rule.limit) retryAfter = Math.max(retryAfter, Math.ceil((windowEnd.getTime() - now.getTime()) / 1000));
      }
      if (retryAfter > 0) throw new RateLimitedError(retryAfter);
    },
    async refund(keys, now) {
      for (const [key, rule] of keys) await uncountHit(deps.db, sha256Hex(key), windowOf(rule, now).start);
    },
    async check(keys, now = new Date()) {
      let retryAfter = 0;
      for (const [key, rule] of keys) {
        const { start, end } = windowOf(rule, now);
        const count = await readHitCount(deps.db, sha256Hex(key), start);
        if (count >= rule.limit) retryAfter = Math.max(retryAfter, Math.ceil((end.getTime() - now.getTime()) / 1000));
      }
      if (retryAfter > 0) throw new RateLimitedError(retryAfter);
    },
  };
}
