import type { EnvironmentRow } from '../../db/queries/environments.js';
import type { TenantAccountRow } from '../../db/queries/tenant-accounts.js';
import type { TenantRow } from '../../db/queries/tenants.js';
import { toEnvironmentResponse } from './responses.js';

/** Tenants and tenant accounts, field by field: a password hash cannot reach a body. */

export function toTenantResponse(tenant: TenantRow, environments: readonly EnvironmentRow[]) {
  return {
    id: tenant.id,
    name: tenant.name,
    customProperties: tenant.customProperties,
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
    environments: environments.map(toEnvironmentResponse),
  };
}

export function toTenantAccountResponse(account: TenantAccountRow) {
  return {
    id: account.id,
    tenantId: account.tenantId,
    name: account.name,
    email: account.email,
    emailVerified: account.emailVerified,
    username: account.username,
    phone: account.phone,
    avatarUrl: account.avatarUrl,
    role: account.role,
    disabled: account.disabled,
    disabledAt: account.disabledAt ? account.disabledAt.toISOString() : null,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}
