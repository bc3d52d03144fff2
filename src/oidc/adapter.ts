import Provider, { errors as oidcErrors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database.js';
import {
  claimReuseGrace,
  consumeArtifact,
  deleteArtifact,
  deleteArtifactsByGrantId,
  findArtifactByIdHash,
  findArtifactByUid,
  findArtifactByUserCodeHash,
  upsertArtifact,
  type ArtifactRecord,
} from '../db/queries/oidc-artifacts.js';
import type { EnvironmentScope } from '../db/scope.js';
import { sha256Hex, type SecretBox } from '../services/crypto.js';

/** Models that oidc-provider finds by something other than their id: their id is kept encrypted. */
const FOUND_OTHERWISE = new Set(['Session', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export interface ArtifactAdapterDeps {
  readonly db: Database;
  readonly scope: EnvironmentScope;
  readonly box: SecretBox;
  /** The Client model reads sump's clients table, not the artefacts. */
  readonly findClient: (clientId: string) => Promise<AdapterPayload | undefined>;
  /** How long after its rotation a refresh token is accepted once more (0: never). */
  readonly refreshReuseGraceSeconds: number;
}

/** What a consumed artefact is called in the error its second redemption gets. */
const SINGLE_USE_LABELS: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code',
  DeviceCode: 'device code',
  RefreshToken: 'refresh token',
};

/** The request being served is a refresh_token grant at the token endpoint. */
function servingRefreshGrant(): boolean {
  const oidc = Provider.ctx?.oidc;
  return oidc?.route === 'token' && oidc.params?.grant_type === 'refresh_token';
}

/**
 * oidc-provider's adapter contract over one table, keyed by environment, model and the SHA-256
 * of the artefact's id. The id is dropped from the stored payload and put back from the id
 * `find` is given, so a copy of the table yields no usable token.
 */
export class ArtifactAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly deps: ArtifactAdapterDeps,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (this.model === 'Client') throw new Error('clients are managed through the admin API');
    const { jti: _jti, ...rest } = payload;
    const keepId = FOUND_OTHERWISE.has(this.model);
    await upsertArtifact(this.deps.db, this.deps.scope, {
      model: this.model,
      id_hash: sha256Hex(id),
      payload: rest,
      id_encrypted: keepId ? this.deps.box.encrypt(id) : null,
      // A grant is swept by revokeByGrantId together with what was issued under it.
      grant_id: this.model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code_hash: typeof payload.userCode === 'string' ? sha256Hex(payload.userCode) : null,
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.deps.findClient(id);
    const idHash = sha256Hex(id);
    const record = await findArtifactByIdHash(this.deps.db, this.deps.scope, this.model, idHash);
    if (!record) return undefined;
    if (this.graceOpen(record)) return this.toPayload({ ...record, consumed_at: null }, id);
    return this.toPayload(record, id);
  }

  /**
   * oidc-provider revokes the grant when a rotated refresh token comes back. While its grace is
   * open (rotated within refreshReuseGraceSeconds, the one extra use not yet taken) a refresh
   * grant is shown the token unconsumed, so the provider goes on with its checks (client,
   * scope…); only a use that passes them reaches `consume`, which takes the grace atomically.
   * A refused use spends nothing; a later or third use is reuse.
   */
  private graceOpen(record: ArtifactRecord): boolean {
    const graceSeconds = this.deps.refreshReuseGraceSeconds;
    if (this.model !== 'RefreshToken' || graceSeconds <= 0 || !record.consumed_at || record.reuse_graced_at) return false;
    return servingRefreshGrant() && Date.now() - new Date(record.consumed_at).getTime() < graceSeconds * 1000;
  }

  /** A consumed refresh token's one extra use, taken by exactly one of the requests racing for it. */
  private async takeGrace(idHash: string): Promise<boolean> {
    const graceSeconds = this.deps.refreshReuseGraceSeconds;
    if (this.model !== 'RefreshToken' || graceSeconds <= 0 || !servingRefreshGrant()) return false;
    return claimReuseGrace(this.deps.db, this.deps.scope, this.model, idHash, graceSeconds);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const record = await findArtifactByUid(this.deps.db, this.deps.scope, this.model, uid);
    return record ? this.toPayload(record, this.storedId(record)) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const record = await findArtifactByUserCodeHash(this.deps.db, this.deps.scope, this.model, sha256Hex(userCode));
    return record ? this.toPayload(record, this.storedId(record)) : undefined;
  }

  /**
   * oidc-provider reads a code (or refresh token) as unconsumed, then consumes it, and does not
   * ask whether the consume took: two redemptions racing would both issue tokens. Here the
   * consume is the atomic step: the one that loses the race is a reuse — refused with
   * invalid_grant and, as the provider does for a reuse it sees, the grant revoked — unless it
   * is a refresh token's one extra use within its grace period.
   */
  async consume(id: string): Promise<void> {
    const idHash = sha256Hex(id);
    if (await consumeArtifact(this.deps.db, this.deps.scope, this.model, idHash)) return;
    if (await this.takeGrace(idHash)) return;
    const label = SINGLE_USE_LABELS[this.model];
    if (!label) return;
    const record = await findArtifactByIdHash(this.deps.db, this.deps.scope, this.model, idHash);
    if (record?.grant_id) await deleteArtifactsByGrantId(this.deps.db, this.deps.scope, record.grant_id);
    throw new oidcErrors.InvalidGrant(`${label} already used`);
  }

  async destroy(id: string): Promise<void> {
    await deleteArtifact(this.deps.db, this.deps.scope, this.model, sha256Hex(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await deleteArtifactsByGrantId(this.deps.db, this.deps.scope, grantId);
  }

  private storedId(record: ArtifactRecord): string | undefined {
    return record.id_encrypted ? this.deps.box.decrypt(record.id_encrypted) : undefined;
  }

  private toPayload(record: ArtifactRecord, id: string | undefined): AdapterPayload {
    return {
      ...record.payload,
      ...(id !== undefined ? { jti: id } : {}),
      ...(record.consumed_at ? { consumed: Math.floor(new Date(record.consumed_at).getTime() / 1000) } : {}),
    };
  }
}
