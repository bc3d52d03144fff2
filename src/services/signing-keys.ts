import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Database, Queryable } from '../db/database.js';
import {
  insertSigningKey,
  listPublishedSigningKeys,
  lockEnvironmentKeys,
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
