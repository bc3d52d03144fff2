import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';

export type SigningAlg = 'RS256' | 'ES256';

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: Record<string, unknown>;
  readonly privateJwkEncrypted: string;
  readonly signsFrom: Date;
  readonly retiredAt: Date | null;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
}

interface SigningKeyRecord {
  tenant_id: string;
  environment_id: string;
  kid: string;
  alg: SigningAlg;
  public_jwk: Record<string, unknown>;
  private_jwk_encrypted: string;
  signs_from: Date;
  retired_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
}

const toSigningKeyRow = (record: SigningKeyRecord): SigningKeyRow => ({
  kid: record.kid,
  alg: record.alg,
  publicJwk: record.public_jwk,
  privateJwkEncrypted: record.private_jwk_encrypted,
  signsFrom: new Date(record.signs_from),
  retiredAt: record.retired_at ? new Date(record.retired_at) : null,
  expiresAt: record.expires_at ? new Date(record.expires_at) : null,
  createdAt: new Date(record.created_at),
});

export interface NewSigningKey {
  kid: string;
  alg: SigningAlg;
  publicJwk: Record<string, unknown>;
  privateJwkEncrypted: string;
  signsFrom?: Date;
}

export async function insertSigningKey(db: Queryable, scope: EnvironmentScope, key: NewSigningKey): Promise<void> {
  await db('signing_keys').insert({
    ...environmentWhere(scope),
    kid: key.kid,
    alg: key.alg,
    public_jwk: JSON.stringify(key.publicJwk),
    private_jwk_encrypted: key.privateJwkEncrypted,
    ...(key.signsFrom ? { signs_from: key.signsFrom } : {}),
  });
}

/** The keys still published (not past their expiry), newest first. */
export async function listPublishedSigningKeys(
  db: Queryable,
  scope: EnvironmentScope,
  now: Date,
): Promise<SigningKeyRow[]> {
  const records = await db<SigningKeyRecord>('signing_keys')
    .where(environmentWhere(scope))
    .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', now))
    .orderBy([
      { column: 'signs_from', order: 'desc' },
      { column: 'created_at', order: 'desc' },
    ]);
  return records.map(toSigningKeyRow);
}

/** Serialises key creation for one environment across nodes (held until the transaction ends). */
export async function lockEnvironmentKeys(trx: Queryable, scope: EnvironmentScope): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`signing_keys:${scope.environmentId}`]);
}

/** A key stops signing at `retiredAt` (now or when its successor starts) and leaves the JWKS at `expiresAt`. */
export async function retireSigningKey(
  db: Queryable,
  scope: EnvironmentScope,
  kid: string,
  retiredAt: Date,
  expiresAt: Date,
): Promise<void> {
  await db('signing_keys').where({ ...environmentWhere(scope), kid }).update({ retired_at: retiredAt, expires_at: expiresAt });
}

/** A key scheduled to retire keeps signing (scheduled rotation was turned off). */
export async function keepSigningKey(db: Queryable, scope: EnvironmentScope, kid: string): Promise<void> {
  await db('signing_keys').where({ ...environmentWhere(scope), kid }).update({ retired_at: null, expires_at: null });
}

/** Removes a key that never signed (a withdrawn successor): nothing can need it. */
export async function deleteUnusedSigningKey(db: Queryable, scope: EnvironmentScope, kid: string, now: Date): Promise<void> {
  await db('signing_keys').where({ ...environmentWhere(scope), kid }).andWhere('signs_from', '>', now).delete();
}

/**
 * The longest lifetime of the JWT access tokens of the environment's API resources that set
 * their own (null: none does); opaque tokens are not signed.
 */
export async function longestResourceTokenTtl(db: Queryable, scope: EnvironmentScope): Promise<number | null> {
  const row = await db('api_resources')
    .where(environmentWhere(scope))
    .andWhere({ access_token_format: 'jwt' })
    .max<{ longest: number | string | null }>({ longest: 'access_token_ttl' })
    .first();
  return row?.longest === null || row?.longest === undefined ? null : Number(row.longest);
}

/** Expired keys are deleted this long after they left the JWKS (kept a while to be looked at). */
const EXPIRED_KEY_KEPT_MS = 24 * 60 * 60 * 1000;

/** Deletes keys a day after they left the JWKS (what they signed had expired), of every environment, in batches. */
export async function deleteExpiredSigningKeys(db: Queryable, now: Date, batchSize = 1000): Promise<number> {
  const before = new Date(now.getTime() - EXPIRED_KEY_KEPT_MS);
  return db('signing_keys')
    .whereIn('ctid', db('signing_keys').select('ctid').where('expires_at', '<=', before).limit(batchSize))
    .delete();
}
