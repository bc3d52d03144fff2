import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';

/** One oidc-provider artefact (session, interaction, grant, code, token…) as stored. */
export interface ArtifactRecord {
  tenant_id: string;
  environment_id: string;
  model: string;
  id_hash: string;
  payload: Record<string, unknown>;
  id_encrypted: string | null;
  grant_id: string | null;
  uid: string | null;
  user_code_hash: string | null;
  account_id: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
  reuse_graced_at: Date | null;
}

export type NewArtifact = Omit<ArtifactRecord, 'tenant_id' | 'environment_id' | 'consumed_at' | 'reuse_graced_at'>;

const TABLE = 'oidc_artifacts';

export async function upsertArtifact(db: Queryable, scope: EnvironmentScope, artifact: NewArtifact): Promise<void> {
  await db(TABLE)
    .insert({ ...environmentWhere(scope), ...artifact, payload: JSON.stringify(artifact.payload) })
    .onConflict(['tenant_id', 'environment_id', 'model', 'id_hash'])
    .merge(['payload', 'id_encrypted', 'grant_id', 'uid', 'user_code_hash', 'account_id', 'expires_at']);
}

/** An artefact that has not expired (expired rows may linger until the periodic delete). */
function live(db: Queryable, scope: EnvironmentScope, model: string, now: Date) {
  return db<ArtifactRecord>(TABLE)
    .where({ ...environmentWhere(scope), model })
    .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', now));
}

export async function findArtifactByIdHash(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  idHash: string,
  now = new Date(),
): Promise<ArtifactRecord | undefined> {
  return live(db, scope, model, now).andWhere({ id_hash: idHash }).first();
}

export async function findArtifactByUid(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  uid: string,
  now = new Date(),
): Promise<ArtifactRecord | undefined> {
  return live(db, scope, model, now).andWhere({ uid }).first();
}

export async function findArtifactByUserCodeHash(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  userCodeHash: string,
  now = new Date(),
): Promise<ArtifactRecord | undefined> {
  return live(db, scope, model, now).andWhere({ user_code_hash: userCodeHash }).first();
}

export async function consumeArtifact(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  idHash: string,
  now = new Date(),
): Promise<boolean> {
  const consumed = await db(TABLE)
    .where({ ...environmentWhere(scope), model, id_hash: idHash })
    .whereNull('consumed_at')
    .update({ consumed_at: now });
  // false: it was consumed already (by a request racing this one).
  return consumed === 1;
}

/**
 * Claims the one extra use a consumed artefact gets within `graceSeconds` of its consumption;
 * true for exactly one caller, however many race (the row stays consumed throughout).
 */
export async function claimReuseGrace(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  idHash: string,
  graceSeconds: number,
  now = new Date(),
): Promise<boolean> {
  const claimed = await db(TABLE)
    .where({ ...environmentWhere(scope), model, id_hash: idHash })
    .whereNull('reuse_graced_at')
    .andWhere('consumed_at', '>', new Date(now.getTime() - graceSeconds * 1000))
    .update({ reuse_graced_at: now });
  return claimed === 1;
}

export async function deleteArtifact(
  db: Queryable,
  scope: EnvironmentScope,
  model: string,
  idHash: string,
): Promise<void> {
  await db(TABLE).where({ ...environmentWhere(scope), model, id_hash: idHash }).delete();
}

/** Every artefact issued under one grant (codes, access and refresh tokens…), whatever its model. */
export async function deleteArtifactsByGrantId(db: Queryable, scope: EnvironmentScope, grantId: string): Promise<number> {
  return db(TABLE).where({ ...environmentWhere(scope), grant_id: grantId }).delete();
}

/** A client one OIDC session signed in to, and the session id (sid) that client was told. */
export interface SessionLogin {
  readonly clientId: string;
  readonly sid: string;
}

/** The clients every live OIDC session of one account signed in to (read before the sessions end). */
export async function findSessionLoginsOfAccount(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
  now = new Date(),
): Promise<SessionLogin[]> {
  const rows = await live(db, scope, 'Session', now).andWhere({ account_id: accountId }).select('payload');
  const logins: SessionLogin[] = [];
  for (const { payload } of rows) {
    const authorizations = payload.authorizations;
    if (typeof authorizations !== 'object' || authorizations === null) continue;
    for (const [clientId, authorization] of Object.entries(authorizations as Record<string, unknown>)) {
      const sid = (authorization as { sid?: unknown } | null)?.sid;
      if (typeof sid === 'string') logins.push({ clientId, sid });
    }
  }
  return logins;
}

/** Every session, grant and token of one account: it was disabled, deleted or changed its password. */
export async function deleteArtifactsByAccountId(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
): Promise<number> {
  return db(TABLE).where({ ...environmentWhere(scope), account_id: accountId }).delete();
}

/** What a client was issued (codes, tokens, grants…); the browser sessions it shared stay. */
const ISSUED_TO_CLIENT = [
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
  'ClientCredentials',
  'Grant',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
];

/** Everything issued to one client: it was disabled or deleted. */
export async function deleteArtifactsByClientId(db: Queryable, scope: EnvironmentScope, clientId: string): Promise<number> {
  return db(TABLE)
    .where(environmentWhere(scope))
    .whereIn('model', ISSUED_TO_CLIENT)
    .andWhereRaw(`payload->>'clientId' = ?`, [clientId])
    .delete();
}

/** The periodic clean-up: expired rows go, in bounded batches so no delete holds locks for long. */
export async function deleteExpiredArtifacts(db: Queryable, now: Date, batchSize = 1000): Promise<number> {
  return db(TABLE)
    .whereIn('ctid', db(TABLE).select('ctid').where('expires_at', '<=', now).limit(batchSize))
    .delete();
}
