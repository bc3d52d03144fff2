import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Database, Queryable } from '../db/database.js';
import {
  insertSigningKey,
  listPublishedSigningKeys,
  lockEnvironmentKeys,
  retireSigningKey,
  type SigningAlg,
  type SigningKeyRow,
} from '../db/queries/signing-keys.js';
import type { EnvironmentScope } from '../db/scope.js';
import type { SecretBox } from './crypto.js';

/** Every environment signs with both: RS256 (OIDC discovery requires it) and ES256. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256'];

export interface SigningKeysService {
  /** Makes the environment's first keys; called inside the transaction that creates it. */
  createInitialKeys(trx: Queryable, scope: EnvironmentScope): Promise<void>;
  /** Makes any key that is missing, once even when nodes race (advisory lock). */
  ensureKeys(db: Database, scope: EnvironmentScope): Promise<void>;
  /**
   * The private JWKS for oidc-provider: for each algorithm the key that signs now comes first
   * (oidc-provider signs with the first that fits), then keys published ahead or kept for
   * verification.
   */
  loadPrivateJwks(db: Queryable, scope: EnvironmentScope, now?: Date): Promise<JWK[]>;
  /** The published keys, newest first, with what each does now. */
  list(db: Queryable, scope: EnvironmentScope, now?: Date): Promise<PublishedKey[]>;
  /**
   * The emergency path: for each algorithm a new key signs at once; the keys it replaces stay
   * published for `verifyForSeconds` (the longest lifetime of what they signed), then go.
   */
  rotateNow(db: Database, scope: EnvironmentScope, verifyForSeconds: number): Promise<void>;
}

export interface PublishedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** `active` signs now; `next` is published ahead of signing; `retired` only verifies. */
  readonly status: 'active' | 'next' | 'retired';
  readonly publicJwk: Record<string, unknown>;
  readonly signsFrom: Date;
  readonly retiredAt: Date | null;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
}

function statusOf(key: SigningKeyRow, now: Date): PublishedKey['status'] {
  if (key.retiredAt !== null) return 'retired';
  return key.signsFrom > now ? 'next' : 'active';
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

function signsNow(key: SigningKeyRow, now: Date): boolean {
  return key.signsFrom <= now && key.retiredAt === null;
}

export function createSigningKeysService(options: { box: SecretBox }): SigningKeysService {
  const { box } = options;

  async function createMissing(trx: Queryable, scope: EnvironmentScope): Promise<void> {
    const now = new Date();
    const keys = await listPublishedSigningKeys(trx, scope, now);
    for (const alg of SIGNING_ALGS) {
      if (!keys.some((key) => key.alg === alg && signsNow(key, now))) {
        await insertSigningKey(trx, scope, await generateSigningKey(alg, box));
      }
    }
  }

  return {
    async createInitialKeys(trx, scope) {
      await lockEnvironmentKeys(trx, scope);
      await createMissing(trx, scope);
    },
    async ensureKeys(db, scope) {
      const now = new Date();
      const keys = await listPublishedSigningKeys(db, scope, now);
      if (SIGNING_ALGS.every((alg) => keys.some((key) => key.alg === alg && signsNow(key, now)))) return;
      await db.transaction(async (trx) => {
        await lockEnvironmentKeys(trx, scope);
        await createMissing(trx, scope);
      });
    },
    async list(db, scope, now = new Date()) {
      const keys = await listPublishedSigningKeys(db, scope, now);
      return keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        status: statusOf(key, now),
        publicJwk: key.publicJwk,
        signsFrom: key.signsFrom,
        retiredAt: key.retiredAt,
        expiresAt: key.expiresAt,
        createdAt: key.createdAt,
      }));
    },
    async rotateNow(db, scope, verifyForSeconds) {
      await db.transaction(async (trx) => {
        await lockEnvironmentKeys(trx, scope);
        const now = new Date();
        const until = new Date(now.getTime() + verifyForSeconds * 1000);
        for (const key of await listPublishedSigningKeys(trx, scope, now)) {
          if (key.retiredAt === null && key.signsFrom <= now) await retireSigningKey(trx, scope, key.kid, now, until);
        }
        for (const alg of SIGNING_ALGS) {
          // A few seconds back, so a node whose clock lags still sees it signing.
          const signsFrom = new Date(now.getTime() - 5000);
          await insertSigningKey(trx, scope, { ...(await generateSigningKey(alg, box)), signsFrom });
        }
      });
    },
    async loadPrivateJwks(db, scope, now = new Date()) {
      const keys = await listPublishedSigningKeys(db, scope, now);
      const signing = SIGNING_ALGS.map((alg) => keys.find((key) => key.alg === alg && signsNow(key, now))).filter(
        (key): key is SigningKeyRow => key !== undefined,
      );
      const rest = keys.filter((key) => !signing.includes(key));
      return [...signing, ...rest].map((key) => JSON.parse(box.decrypt(key.privateJwkEncrypted)) as JWK);
    },
  };
}
