import type { Queryable } from '../database.js';
import { environmentWhere, type EnvironmentScope } from '../scope.js';
import {
  accountIdentityColumns,
  rethrowAsIdentifierTaken,
  toAccountIdentity,
  type AccountIdentity,
  type AccountIdentityRecord,
  type NewAccountIdentity,
} from './account-identity.js';
import { identifierColumn, identifierWhere, type IdentifierKind, type IdentifierLookup } from './identifier-lookup.js';

export interface AddressClaim {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

export interface EnvironmentAccountRow extends AccountIdentity {
  readonly environmentId: string;
  readonly phoneVerified: boolean;
  readonly address: AddressClaim | null;
  readonly customProperties: Record<string, unknown>;
}

export interface EnvironmentAccountRecord extends AccountIdentityRecord {
  environment_id: string;
  phone_verified: boolean;
  address: AddressClaim | null;
  custom_properties: Record<string, unknown>;
}

export const toEnvironmentAccountRow = (record: EnvironmentAccountRecord): EnvironmentAccountRow => ({
  ...toAccountIdentity(record),
  environmentId: record.environment_id,
  phoneVerified: record.phone_verified,
  address: record.address,
  customProperties: record.custom_properties,
});

export async function findEnvironmentAccountById(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
): Promise<EnvironmentAccountRow | undefined> {
  const record = await db<EnvironmentAccountRecord>('environment_accounts')
    .where({ ...environmentWhere(scope), id: accountId })
    .first();
  return record ? toEnvironmentAccountRow(record) : undefined;
}

export async function findEnvironmentAccountByIdentifier(
  db: Queryable,
  scope: EnvironmentScope,
  lookup: IdentifierLookup,
): Promise<EnvironmentAccountRow | undefined> {
  const record = await db<EnvironmentAccountRecord>('environment_accounts')
    .where({ ...environmentWhere(scope), ...identifierWhere(lookup) })
    .first();
  return record ? toEnvironmentAccountRow(record) : undefined;
}

/** Which of these identifiers another account of the environment already holds. */
export async function findTakenEnvironmentIdentifiers(
  db: Queryable,
  scope: EnvironmentScope,
  lookups: readonly IdentifierLookup[],
): Promise<IdentifierKind[]> {
  if (lookups.length === 0) return [];
  const records = await db<EnvironmentAccountRecord>('environment_accounts')
    .where(environmentWhere(scope))
    .andWhere((query) => {
      for (const lookup of lookups) query.orWhere(identifierWhere(lookup));
    })
    .select('email_normalized', 'username_normalized', 'phone');
  return lookups
    .filter((lookup) =>
      records.some((record) => (record as unknown as Record<string, unknown>)[identifierColumn[lookup.kind]] === lookup.value),
    )
    .map((lookup) => lookup.kind);
}

export interface NewEnvironmentAccount extends NewAccountIdentity {
  readonly emailVerified: boolean;
  readonly address: AddressClaim | null;
  readonly customProperties: Record<string, unknown>;
}

const UNIQUE_CONSTRAINTS: Readonly<Record<string, IdentifierKind>> = {
  environment_accounts__environment_email: 'email',
  environment_accounts__environment_username: 'username',
  environment_accounts__environment_phone: 'phone',
};

/** Inserts; a taken email, username or phone in the environment (a lost race) is a 409. */
export async function insertEnvironmentAccount(
  db: Queryable,
  scope: EnvironmentScope,
  account: NewEnvironmentAccount,
): Promise<EnvironmentAccountRow> {
  try {
    const [record] = (await db('environment_accounts')
      .insert({
        ...environmentWhere(scope),
        ...accountIdentityColumns(account),
        email_verified: account.emailVerified,
        address: account.address ? JSON.stringify(account.address) : null,
        custom_properties: JSON.stringify(account.customProperties),
      })
      .returning('*')) as EnvironmentAccountRecord[];
    return toEnvironmentAccountRow(record as EnvironmentAccountRecord);
  } catch (error) {
    rethrowAsIdentifierTaken(error, UNIQUE_CONSTRAINTS);
  }
}
