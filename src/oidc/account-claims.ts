import type { AccountClaims } from 'oidc-provider';
import type { EnvironmentAccountRow } from '../db/queries/environment-accounts.js';

/** The standard claims sump knows, by scope (OIDC Core 5.4). */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['name', 'preferred_username', 'picture', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
} as const;

/** Every claim of an environment account; oidc-provider filters them by the granted scopes. */
export function accountClaims(account: EnvironmentAccountRow): AccountClaims {
  return {
    sub: account.id,
    name: account.name,
    preferred_username: account.username,
    ...(account.avatarUrl ? { picture: account.avatarUrl } : {}),
    updated_at: Math.floor(account.updatedAt.getTime() / 1000),
    email: account.email,
    email_verified: account.emailVerified,
    ...(account.phone ? { phone_number: account.phone, phone_number_verified: account.phoneVerified } : {}),
    ...(account.address ? { address: account.address } : {}),
  };
}
