import type { TenantRole } from '../db/queries/tenant-accounts.js';
import { errors } from '../errors/codes.js';

/** Who acts on the admin API: a tenant account, through its session or one of its API keys. */
export interface Actor {
  readonly tenantId: string;
  readonly accountId: string;
  readonly role: TenantRole;
  /** How the credential came: a session cookie, or a tenant API key (which acts for nobody's self). */
  readonly via: 'cookie' | 'api_key';
  /** The key, when `via` is `api_key`. */
  readonly apiKeyId?: string | undefined;
  /** Where the request came from, for the audit log (null when unknown). */
  readonly ipAddress?: string | null | undefined;
}

const RANK: Readonly<Record<TenantRole, number>> = { owner: 3, admin: 2, user: 1 };

/** Reading a tenant's data: any role of that tenant. */
export const READ: TenantRole = 'user';
/** Environments, clients, environment accounts…: owners and admins. */
export const MANAGE: TenantRole = 'admin';

export function hasRole(actor: Actor, minimum: TenantRole): boolean {
  return RANK[actor.role] >= RANK[minimum];
}

/** May an account of role `actorRole` act on (or grant) `targetRole`? A rank above, or owner on owner. */
export function mayActOn(actorRole: TenantRole, targetRole: TenantRole): boolean {
  return RANK[actorRole] > RANK[targetRole] || (actorRole === 'owner' && targetRole === 'owner');
}

/** The lower of two roles: a key never acts above its creator's current role. */
export function lowerRole(a: TenantRole, b: TenantRole): TenantRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * Is the actor this account, acting on itself? Only a person through their session: an API key
 * acts by its role alone, so it never gets the rights one has over one's own account.
 */
export function isSelf(actor: Actor, accountId: string): boolean {
  return actor.via === 'cookie' && actor.accountId === accountId;
}

/** 403 unless the actor's role reaches `minimum`. */
export function requireRole(actor: Actor, minimum: TenantRole): void {
  if (!hasRole(actor, minimum)) throw errors.forbidden();
}

/**
 * 404 unless the tenant is the actor's own: another tenant's id is answered exactly like one
 * that does not exist.
 */
export function requireOwnTenant(actor: Actor, tenantId: string): void {
  if (actor.tenantId !== tenantId) throw errors.tenantNotFound();
}
