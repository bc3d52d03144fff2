import type { EnvironmentAccountRow } from '../../db/queries/environment-accounts.js';

/** An environment account as every answer shows it, field by field: never its password hash. */
export function toEnvironmentAccountResponse(account: EnvironmentAccountRow) {
  return {
    id: account.id,
    tenantId: account.tenantId,
    environmentId: account.environmentId,
    name: account.name,
    email: account.email,
    emailVerified: account.emailVerified,
    username: account.username,
    phone: account.phone,
    phoneVerified: account.phoneVerified,
    avatarUrl: account.avatarUrl,
    address: account.address,
    customProperties: account.customProperties,
    hasPassword: account.passwordHash !== null,
    disabled: account.disabled,
    disabledAt: account.disabledAt ? account.disabledAt.toISOString() : null,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}
