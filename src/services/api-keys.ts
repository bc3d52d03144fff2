import type { Database } from '../db/database.js';
import {
  deleteApiKey,
  findApiKeyByHash,
  findApiKeyById,
  insertApiKey,
  listApiKeys,
  touchApiKey,
  type ApiKeyRole,
  type ApiKeyRow,
} from '../db/queries/api-keys.js';
import { findTenantAccountById, type TenantRole } from '../db/queries/tenant-accounts.js';
import type { TenantRow } from '../db/queries/tenants.js';
import { errors } from '../errors/codes.js';
import { isSelf, lowerRole, MANAGE, mayActOn, requireOwnTenant, requireRole, type Actor } from './access.js';
import { randomToken, sha256Hex } from './crypto.js';
import { byTenantAccount, record } from './audit.js';

/** Every key starts so: a bearer value of this shape on the admin API is a key, not a session. */
export const API_KEY_PREFIX = 'sump_';
/** last_used_at is written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

export const isApiKey = (value: string | undefined): value is string => value?.startsWith(API_KEY_PREFIX) === true;

/** What a key of each role may do at most: an admin key as an admin, a read-only key as a user. */
const ROLE_OF_KEY: Readonly<Record<ApiKeyRole, TenantRole>> = { admin: 'admin', 'read-only': 'user' };

export interface NewApiKeyInput {
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly expiresAt?: Date | undefined;
}

/**
 * Tenant API keys (DESIGN.md, "Roles"): made, listed and revoked by owners and admins; made and
 * revoked through a session only, never by a key. A key acts within its tenant as an admin or a
 * user, never above its creator's current role, and ends when its creator is disabled, deleted
 * or the key expires.
 */
export interface ApiKeysService {
  /** 403 unless the actor may make and revoke keys: an owner or admin, through a session. */
  assertMayManage(actor: Actor): void;
  /** The key itself is in `key`, here only; the row keeps its SHA-256. */
  create(actor: Actor, tenant: TenantRow, input: NewApiKeyInput): Promise<{ row: ApiKeyRow; key: string }>;
  list(
    actor: Actor,
    tenant: TenantRow,
    page: { limit: number; afterId?: string | undefined },
  ): Promise<{ rows: ApiKeyRow[]; next: string | undefined }>;
  revoke(actor: Actor, tenant: TenantRow, keyId: string): Promise<void>;
  /** The actor a key acts as now, or undefined when it is unknown, expired or its creator is gone. */
  authenticate(key: string): Promise<Actor | undefined>;
}

/** Key management needs an owner's or admin's session: a key never makes or revokes keys. */
function assertMayManage(actor: Actor): void {
  requireRole(actor, MANAGE);
  if (actor.via !== 'cookie') throw errors.sessionRequired();
}

export function createApiKeysService(deps: { db: Database }): ApiKeysService {
  const { db } = deps;
  const scopeOf = (tenant: TenantRow) => ({ tenantId: tenant.id });

  return {
    assertMayManage,
    async create(actor, tenant, input) {
      requireOwnTenant(actor, tenant.id);
      assertMayManage(actor);
      const key = `${API_KEY_PREFIX}${randomToken(32)}`;
      const row = await insertApiKey(db, scopeOf(tenant), {
        name: input.name,
        role: input.role,
        keyHash: sha256Hex(key),
        keyPrefix: key.slice(0, 8),
        createdBy: actor.accountId,
        expiresAt: input.expiresAt ?? null,
      });
      await record(db, byTenantAccount(actor, 'api_key.created', { type: 'api_key', id: row.id }));
      return { row, key };
    },
    async list(actor, tenant, page) {
      requireOwnTenant(actor, tenant.id);
      requireRole(actor, MANAGE);
      return listApiKeys(db, scopeOf(tenant), page);
    },
    async revoke(actor, tenant, keyId) {
      requireOwnTenant(actor, tenant.id);
      assertMayManage(actor);
      // A key acts for its creator: revoking it is acting on them (yourself, or a rank above).
      const key = await findApiKeyById(db, scopeOf(tenant), keyId);
      if (!key) throw errors.apiKeyNotFound();
      const creator = await findTenantAccountById(db, scopeOf(tenant), key.createdBy);
      if (creator && !isSelf(actor, creator.id) && !mayActOn(actor.role, creator.role)) throw errors.forbidden();
      if (!(await deleteApiKey(db, scopeOf(tenant), keyId))) throw errors.apiKeyNotFound();
      await record(db, byTenantAccount(actor, 'api_key.revoked', { type: 'api_key', id: keyId }));
    },
    async authenticate(key) {
      const row = await findApiKeyByHash(db, sha256Hex(key));
      if (!row) return undefined;
      const now = new Date();
      if (row.expiresAt !== null && row.expiresAt <= now) return undefined;
      // The creator's role now, not when the key was made: demoting narrows it, disabling ends it.
      const creator = await findTenantAccountById(db, { tenantId: row.tenantId }, row.createdBy);
      if (!creator || creator.disabled) return undefined;
      if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
        await touchApiKey(db, { tenantId: row.tenantId }, row.id, now);
      }
      return {
        tenantId: row.tenantId,
        accountId: creator.id,
        role: lowerRole(ROLE_OF_KEY[row.role], creator.role),
        via: 'api_key',
        apiKeyId: row.id,
      };
    },
  };
}
