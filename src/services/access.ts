import type { TenantRole } from '../db/queries/tenant-accounts.js';
import { errors } from '../errors/codes.js';

/** Who acts on the admin API: a tenant account, through its session (API keys come later). */
export interface Actor {
  readonly tenantId: string;
  readonly accountId: string;
  readonly role: TenantRole;
}

const RANK: Readonly<Record<TenantRole, number>> = { owner: 3, admin: 2, user: 1 };

/** Reading a tenant's data: any role of that tenant. */
export const READ: TenantRole = 'user';
/** Environments, clients, environment accounts…: owners and admins. */
export const MANAGE: TenantRole = 'admin';

export function hasRole(actor: Actor, minimum: TenantRole): boolean {
  return RANK[actor.role] >= RANK[minimum];
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
