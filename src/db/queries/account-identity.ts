import { errors } from '../../errors/codes.js';
import type { IdentifierKind } from './identifier-lookup.js';
import { uniqueViolationConstraint } from './unique-violation.js';

/**
 * What tenant accounts and environment accounts have alike: who the person is, how they sign
 * in, and whether they may. Each table adds its own columns (a role; an environment, claims) and
 * each query still takes its own scope.
 */
export interface AccountIdentity {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly username: string;
  readonly phone: string | null;
  readonly avatarUrl: string | null;
  /** Only the services that check passwords read this; never put it in a response. */
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface AccountIdentityRecord {
  id: string;
  tenant_id: string;
  name: string;
  email: string;
  email_normalized: string;
  email_verified: boolean;
  username: string;
  username_normalized: string;
  phone: string | null;
  avatar_url: string | null;
  password_hash: string | null;
  disabled: boolean;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toAccountIdentity = (record: AccountIdentityRecord): AccountIdentity => ({
  id: record.id,
  tenantId: record.tenant_id,
  name: record.name,
  email: record.email,
  emailVerified: record.email_verified,
  username: record.username,
  phone: record.phone,
  avatarUrl: record.avatar_url,
  passwordHash: record.password_hash,
  disabled: record.disabled,
  disabledAt: record.disabled_at ? new Date(record.disabled_at) : null,
  createdAt: new Date(record.created_at),
  updatedAt: new Date(record.updated_at),
});

export interface NewAccountIdentity {
  readonly name: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly username: string;
  readonly usernameNormalized: string;
  readonly phone: string | null;
  readonly avatarUrl: string | null;
  readonly passwordHash: string | null;
}

/** The identity columns of a new account's row (the caller adds its scope and its own columns). */
export const accountIdentityColumns = (account: NewAccountIdentity) => ({
  name: account.name,
  email: account.email,
  email_normalized: account.emailNormalized,
  username: account.username,
  username_normalized: account.usernameNormalized,
  phone: account.phone,
  avatar_url: account.avatarUrl,
  password_hash: account.passwordHash,
});

/**
 * Translates an insert's unique violation on one of `constraints` (each the scoped unique index
 * of an identifier) into a 409 naming the field; any other error is thrown as it is.
 */
export function rethrowAsIdentifierTaken(error: unknown, constraints: Readonly<Record<string, IdentifierKind>>): never {
  const field = constraints[uniqueViolationConstraint(error) ?? ''];
  if (field) throw errors.identifierTaken(field);
  throw error;
}
