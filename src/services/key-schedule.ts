import type { SigningAlg, SigningKeyRow } from '../db/queries/signing-keys.js';

/**
 * The timeline of an environment's signing keys, worked out from their rows alone (no I/O):
 * which key signs now, which is published ahead, and what must be written to keep the
 * schedule. A key's row says it all: `signs_from` (it signs from then, published before),
 * `retired_at` (it stops signing then, possibly in the future when its successor is
 * scheduled) and `expires_at` (it leaves the JWKS then, once what it signed has expired).
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
/** How long before it signs a scheduled successor is published. */
export const PUBLISHED_AHEAD_MS = DAY_MS;

export interface ScheduleInput {
  readonly now: Date;
  /** `keys.rotationDays`: 0 = no scheduled rotation. */
  readonly rotationDays: number;
  /** How long a key stays published after it stopped signing (the longest life of what it signed). */
  readonly retentionSeconds: number;
}

export type ScheduleStep =
  /** No key of this algorithm signs now: one is made that signs at once. */
  | { readonly kind: 'create'; readonly alg: SigningAlg }
  /** The signing key's successor is published now, signs from `signsFrom`, and the key retires then. */
  | { readonly kind: 'successor'; readonly alg: SigningAlg; readonly predecessor: string; readonly signsFrom: Date; readonly expiresAt: Date }
  /** A key stops (or stopped) signing at `retiredAt` and stays published until `expiresAt`. */
  | { readonly kind: 'retire'; readonly kid: string; readonly retiredAt: Date; readonly expiresAt: Date }
  /** Scheduled rotation was turned off: a successor that never signed is withdrawn… */
  | { readonly kind: 'withdraw'; readonly kid: string }
  /** …and the key it would have replaced keeps signing. */
  | { readonly kind: 'keep'; readonly kid: string };

const later = (a: Date, b: Date) => (a > b ? a : b);
const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

/** Does the key sign at `now`, ignoring newer keys? */
const mayStillSign = (key: SigningKeyRow, now: Date) => key.signsFrom <= now && (key.retiredAt === null || key.retiredAt > now);

/**
 * The key of `alg` that signs at `now`: the newest that has started and not stopped. Keys come
 * newest first (by `signs_from`), as listPublishedSigningKeys returns them.
 */
export function signingKeyOf(keys: readonly SigningKeyRow[], alg: SigningAlg, now: Date): SigningKeyRow | undefined {
  return keys.find((key) => key.alg === alg && mayStillSign(key, now));
}

/** What each key does at `now`: `active` signs, `next` is published ahead, `retired` only verifies. */
export function statusOf(keys: readonly SigningKeyRow[], key: SigningKeyRow, now: Date): 'active' | 'next' | 'retired' {
  if (key.signsFrom > now) return 'next';
  return signingKeyOf(keys, key.alg, now) === key ? 'active' : 'retired';
}

/** The writes that bring the schedule up to date at `input.now`; none when it is. */
export function planSchedule(keys: readonly SigningKeyRow[], algs: readonly SigningAlg[], input: ScheduleInput): ScheduleStep[] {
  const { now, rotationDays, retentionSeconds } = input;
  const retentionMs = retentionSeconds * 1000;
  const steps: ScheduleStep[] = [];
  for (const alg of algs) {
    const ofAlg = keys.filter((key) => key.alg === alg);
    const signing = signingKeyOf(ofAlg, alg, now);
    // Published ahead, oldest first.
    const pending = ofAlg.filter((key) => key.signsFrom > now).reverse();
    const kept = new Set<string>();

    if (!signing) {
      steps.push({ kind: 'create', alg });
    } else if (rotationDays === 0) {
      for (const key of pending) steps.push({ kind: 'withdraw', kid: key.kid });
      if (signing.retiredAt !== null) {
        steps.push({ kind: 'keep', kid: signing.kid });
        kept.add(signing.kid);
      }
    } else if (pending.length === 0 && signing.retiredAt === null) {
      const scheduled = plus(signing.signsFrom, rotationDays * DAY_MS);
      if (now.getTime() >= scheduled.getTime() - PUBLISHED_AHEAD_MS) {
        // Late (nobody asked for a while, or the setting is new): still published a day ahead.
        const signsFrom = later(scheduled, plus(now, PUBLISHED_AHEAD_MS));
        steps.push({ kind: 'successor', alg, predecessor: signing.kid, signsFrom, expiresAt: plus(signsFrom, retentionMs) });
        kept.add(signing.kid);
      }
    } else if (pending[0] && signing.retiredAt === null) {
      // A successor without its predecessor's retirement (not written by this module): retire it then.
      const retiredAt = pending[0].signsFrom;
      steps.push({ kind: 'retire', kid: signing.kid, retiredAt, expiresAt: plus(retiredAt, retentionMs) });
      kept.add(signing.kid);
    }

    for (const key of ofAlg) {
      if (kept.has(key.kid) || key === signing || key.signsFrom > now) continue;
      // A key that no longer signs: retired when the next key took over, published until what
      // it signed has expired. Lifetimes only lengthen it (a longer lifetime set later).
      const retiredAt = key.retiredAt ?? nextStartAfter(ofAlg, key) ?? now;
      const expiresAt = plus(retiredAt, retentionMs);
      if (key.retiredAt === null || key.expiresAt === null || key.expiresAt < expiresAt) {
        steps.push({ kind: 'retire', kid: key.kid, retiredAt, expiresAt: later(expiresAt, key.expiresAt ?? expiresAt) });
      }
    }
    if (signing && signing.retiredAt !== null && !kept.has(signing.kid)) {
      // Scheduled to retire: a lifetime lengthened since keeps it published longer.
      const expiresAt = plus(signing.retiredAt, retentionMs);
      if (signing.expiresAt === null || signing.expiresAt < expiresAt) {
        steps.push({ kind: 'retire', kid: signing.kid, retiredAt: signing.retiredAt, expiresAt });
      }
    }
  }
  return steps;
}

/** When the newer key after `key` (of its algorithm) started signing. */
function nextStartAfter(ofAlg: readonly SigningKeyRow[], key: SigningKeyRow): Date | undefined {
  const newer = ofAlg.filter((other) => other.signsFrom > key.signsFrom);
  return newer.length > 0 ? newer[newer.length - 1]?.signsFrom : undefined;
}

/**
 * The next moment the keys an issuer must hold change on their own: a key starts or stops
 * signing, leaves the JWKS, or a successor falls due to be published. A built issuer is kept
 * until then at most.
 */
export function nextKeyEvent(keys: readonly SigningKeyRow[], algs: readonly SigningAlg[], input: Pick<ScheduleInput, 'now' | 'rotationDays'>): Date | undefined {
  const { now, rotationDays } = input;
  const moments: Date[] = [];
  for (const key of keys) {
    for (const moment of [key.signsFrom, key.retiredAt, key.expiresAt]) {
      if (moment && moment > now) moments.push(moment);
    }
  }
  if (rotationDays > 0) {
    for (const alg of algs) {
      const signing = signingKeyOf(keys, alg, now);
      if (signing && signing.retiredAt === null) {
        const due = new Date(signing.signsFrom.getTime() + rotationDays * DAY_MS - PUBLISHED_AHEAD_MS);
        if (due > now) moments.push(due);
      }
    }
  }
  return moments.reduce<Date | undefined>((earliest, moment) => (earliest && earliest <= moment ? earliest : moment), undefined);
}
