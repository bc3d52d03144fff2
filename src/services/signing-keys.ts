import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Database, Queryable } from '../db/database.js';
import {
  deleteUnusedSigningKey,
  insertSigningKey,
  keepSigningKey,
  listPublishedSigningKeys,
  lockEnvironmentKeys,
  longestResourceTokenTtl,
  retireSigningKey,
  type SigningAlg,
  type SigningKeyRow,
} from '../db/queries/signing-keys.js';
import type { EnvironmentScope } from '../db/scope.js';
import type { SecretBox } from './crypto.js';
import type { EnvironmentSettings } from './environment-settings.js';
import { nextKeyEvent, planSchedule, signingKeyOf, statusOf, type ScheduleStep } from './key-schedule.js';

/** Every environment signs with both: RS256 (OIDC discovery requires it) and ES256. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256'];

/** oidc-provider gives a back-channel logout token two minutes. */
const LOGOUT_TOKEN_SECONDS = 120;
/** How long past the end of what it signed a retired key stays published (clocks differ). */
const CLOCK_SKEW_SECONDS = 60;

/** The settings the keys follow: the schedule and the lifetimes of what they sign. */
export type KeySettings = Pick<EnvironmentSettings, 'keys' | 'tokens'>;

export interface IssuerKeys {
  /** For oidc-provider: per algorithm the key that signs now first, then the other published ones. */
  readonly jwks: JWK[];
  /** When the keys an issuer holds next change on their own (rebuild it then at the latest). */
  readonly nextEventAt: Date | undefined;
  /** Whether bringing the schedule up to date wrote keys (every node must rebuild the issuer). */
  readonly changed: boolean;
}
export interface SigningKeysService {
  /** Makes the environment's first keys; called inside the transaction that creates it. */
  createInitialKeys(trx: Queryable, scope: EnvironmentScope): Promise<void>;
  /**
   * What an issuer is built with: the schedule brought up to date first (a successor published
   * a day before it signs, retired keys kept until what they signed has expired), under the
   * environment's advisory lock when anything is due, so racing nodes write it once.
   */
  prepareIssuerKeys(db: Database, scope: EnvironmentScope, settings: KeySettings, now?: Date): Promise<IssuerKeys>;
  /** The published keys, newest first, with what each does now. */
  list(db: Queryable, scope: EnvironmentScope, now?: Date): Promise<PublishedKey[]>;
  /**
   * The emergency path: for each algorithm a new key signs at once; the keys it replaces stay
   * published until what they signed has expired, then go; a successor published ahead is
   * withdrawn (it never signed).
   */
  rotateNow(db: Database, scope: EnvironmentScope, settings: KeySettings, now?: Date): Promise<void>;
  /**
   * How long a key stays published after it stops signing: the longest life of what it signs
   * (ID tokens, JWT access tokens of the environment and of each API resource, logout tokens),
   * plus a minute for clocks.
   */
  retentionSeconds(db: Queryable, scope: EnvironmentScope, settings: KeySettings): Promise<number>;
}

export interface PublishedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** `active` signs now; `next` is published ahead of signing; `retired` only verifies. */
  readonly status: 'active' | 'next' | 'retired';
  readonly publicJwk: Record<string, unknown>;
  readonly signsFrom: Date;
  /** When it stops (or stopped) signing: in the future while its successor is published ahead. */
  readonly retiredAt: Date | null;
  /** When it leaves the JWKS. */
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
}

async function generateSigningKey(alg: SigningAlg, box: SecretBox) {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwkEncrypted: box.encrypt(JSON.stringify({ ...privateJwk, kid, alg, use: 'sig' })),
  };
}

/** A key that signs at once: a few seconds back, so a node whose clock lags still sees it signing. */
const signsAtOnce = (now: Date) => new Date(now.getTime() - 5000);

/** For oidc-provider, which signs with the first key of an algorithm: the signing ones first. */
function providerOrder(keys: readonly SigningKeyRow[], now: Date): SigningKeyRow[] {
  const signing = SIGNING_ALGS.map((alg) => signingKeyOf(keys, alg, now)).filter((key): key is SigningKeyRow => key !== undefined);
  return [...signing, ...keys.filter((key) => !signing.includes(key))];
}

export function createSigningKeysService(options: { box: SecretBox }): SigningKeysService {
  const { box } = options;

  async function createMissing(trx: Queryable, scope: EnvironmentScope): Promise<void> {
    const now = new Date();
    const keys = await listPublishedSigningKeys(trx, scope, now);
    for (const alg of SIGNING_ALGS) {
      if (!signingKeyOf(keys, alg, now)) await insertSigningKey(trx, scope, await generateSigningKey(alg, box));
    }
  }

  async function apply(trx: Queryable, scope: EnvironmentScope, steps: readonly ScheduleStep[], now: Date): Promise<void> {
    for (const step of steps) {
      switch (step.kind) {
        case 'create':
          // Signing from `now` (the instant the plan was made for), not from the database's
          // clock at insert: a racing run planned for the same instant must see it signing.
          await insertSigningKey(trx, scope, { ...(await generateSigningKey(step.alg, box)), signsFrom: signsAtOnce(now) });
          break;
        case 'successor':
          await insertSigningKey(trx, scope, { ...(await generateSigningKey(step.alg, box)), signsFrom: step.signsFrom });
          await retireSigningKey(trx, scope, step.predecessor, step.signsFrom, step.expiresAt);
          break;
        case 'retire':
          await retireSigningKey(trx, scope, step.kid, step.retiredAt, step.expiresAt);
          break;
        case 'withdraw':
          await deleteUnusedSigningKey(trx, scope, step.kid, now);
          break;
        case 'keep':
          await keepSigningKey(trx, scope, step.kid);
          break;
      }
    }
  }

  const service: SigningKeysService = {
    async createInitialKeys(trx, scope) {
      await lockEnvironmentKeys(trx, scope);
      await createMissing(trx, scope);
    },
    async retentionSeconds(db, scope, settings) {
      const { idTokenTtl, accessTokenTtl } = settings.tokens;
      const resources = (await longestResourceTokenTtl(db, scope)) ?? 0;
      return Math.max(idTokenTtl, accessTokenTtl, resources, LOGOUT_TOKEN_SECONDS) + CLOCK_SKEW_SECONDS;
    },
    async prepareIssuerKeys(db, scope, settings, now = new Date()) {
      // Read outside the transaction: PGlite has one connection, which the transaction holds.
      const retentionSeconds = await service.retentionSeconds(db, scope, settings);
      const input = { now, rotationDays: settings.keys.rotationDays, retentionSeconds };
      let keys = await listPublishedSigningKeys(db, scope, now);
      let changed = false;
      if (planSchedule(keys, SIGNING_ALGS, input).length > 0) {
        changed = await db.transaction(async (trx) => {
          await lockEnvironmentKeys(trx, scope);
          // Another node may have brought it up to date while this one waited for the lock.
          const steps = planSchedule(await listPublishedSigningKeys(trx, scope, now), SIGNING_ALGS, input);
          await apply(trx, scope, steps, now);
          return steps.length > 0;
        });
        keys = await listPublishedSigningKeys(db, scope, now);
      }
      return {
        jwks: providerOrder(keys, now).map((key) => JSON.parse(box.decrypt(key.privateJwkEncrypted)) as JWK),
        nextEventAt: nextKeyEvent(keys, SIGNING_ALGS, input),
        changed,
      };
    },
    async list(db, scope, now = new Date()) {
      const keys = await listPublishedSigningKeys(db, scope, now);
      return keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        status: statusOf(keys, key, now),
        publicJwk: key.publicJwk,
        signsFrom: key.signsFrom,
        retiredAt: key.retiredAt,
        expiresAt: key.expiresAt,
        createdAt: key.createdAt,
      }));
    },
    async rotateNow(db, scope, settings, now = new Date()) {
      const retentionSeconds = await service.retentionSeconds(db, scope, settings);
      const until = new Date(now.getTime() + retentionSeconds * 1000);
      await db.transaction(async (trx) => {
        await lockEnvironmentKeys(trx, scope);
        for (const key of await listPublishedSigningKeys(trx, scope, now)) {
          if (key.signsFrom > now) await deleteUnusedSigningKey(trx, scope, key.kid, now);
          else if (key.retiredAt === null || key.retiredAt > now) await retireSigningKey(trx, scope, key.kid, now, until);
        }
        for (const alg of SIGNING_ALGS) {
          await insertSigningKey(trx, scope, { ...(await generateSigningKey(alg, box)), signsFrom: signsAtOnce(now) });
        }
      });
    },
  };
  return service;
}
