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
  /** Made on the hosted signup page: signs in only once its email is verified. */
  readonly verifyBeforeSignIn: boolean;
}

export interface EnvironmentAccountRecord extends AccountIdentityRecord {
  environment_id: string;
  phone_verified: boolean;
  address: AddressClaim | null;
  custom_properties: Record<string, unknown>;
  verify_before_sign_in: boolean;
}

export const toEnvironmentAccountRow = (record: EnvironmentAccountRecord): EnvironmentAccountRow => ({
  ...toAccountIdentity(record),
  environmentId: record.environment_id,
  phoneVerified: record.phone_verified,
  address: record.address,
  customProperties: record.custom_properties,
  verifyBeforeSignIn: record.verify_before_sign_in === true,
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
  /** True for an account made on the hosted signup page (see EnvironmentAccountRow). */
  readonly verifyBeforeSignIn?: boolean;
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
        verify_before_sign_in: account.verifyBeforeSignIn ?? false,
      })
      .returning('*')) as EnvironmentAccountRecord[];
    return toEnvironmentAccountRow(record as EnvironmentAccountRecord);
  } catch (error) {
    rethrowAsIdentifierTaken(error, UNIQUE_CONSTRAINTS);
  }
}

/** Where a page of accounts ends: the last row's creation time (to the microsecond) and id. */
export interface EnvironmentAccountPosition {
  readonly createdAt: string;
  readonly id: string;
}

const POSITION_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The environment's accounts, oldest first, filtered by exact normalised email / username. */
export async function listEnvironmentAccounts(
  db: Queryable,
  scope: EnvironmentScope,
  page: {
    limit: number;
    after?: EnvironmentAccountPosition | undefined;
    emailNormalized?: string | undefined;
    usernameNormalized?: string | undefined;
  },
): Promise<{ rows: EnvironmentAccountRow[]; next: EnvironmentAccountPosition | undefined }> {
  const query = db<EnvironmentAccountRecord>('environment_accounts')
    .where(environmentWhere(scope))
    .select('*', db.raw(`${POSITION_AT} as position_at`))
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(page.limit + 1);
  if (page.emailNormalized !== undefined) query.andWhere({ email_normalized: page.emailNormalized });
  if (page.usernameNormalized !== undefined) query.andWhere({ username_normalized: page.usernameNormalized });
  if (page.after) query.andWhereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [page.after.createdAt, page.after.id]);
  const records = (await query) as unknown as Array<EnvironmentAccountRecord & { position_at: string }>;
  const rows = records.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const next = records.length > page.limit && last ? { createdAt: last.position_at, id: last.id } : undefined;
  return { rows: rows.map(toEnvironmentAccountRow), next };
}

/** The account, its row locked until the transaction ends. */
export async function lockEnvironmentAccount(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
): Promise<EnvironmentAccountRow | undefined> {
  const record = await db<EnvironmentAccountRecord>('environment_accounts')
    .where({ ...environmentWhere(scope), id: accountId })
    .forUpdate()
    .first();
  return record ? toEnvironmentAccountRow(record) : undefined;
}

/** The columns an update may write: each named field only, nothing taken from a request as is. */
export interface EnvironmentAccountChanges {
  readonly name?: string;
  readonly email?: string;
  readonly emailNormalized?: string;
  readonly emailVerified?: boolean;
  readonly username?: string;
  readonly usernameNormalized?: string;
  readonly phone?: string | null;
  readonly phoneVerified?: boolean;
  readonly avatarUrl?: string | null;
  readonly address?: AddressClaim | null;
  readonly customProperties?: Record<string, unknown>;
  readonly passwordHash?: string;
  readonly disabled?: boolean;
}

function changeColumns(changes: EnvironmentAccountChanges): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const set = (column: string, value: unknown) => {
    if (value !== undefined) columns[column] = value;
  };
  set('name', changes.name);
  set('email', changes.email);
  set('email_normalized', changes.emailNormalized);
  set('email_verified', changes.emailVerified);
  set('username', changes.username);
  set('username_normalized', changes.usernameNormalized);
  set('phone', changes.phone);
  set('phone_verified', changes.phoneVerified);
  set('avatar_url', changes.avatarUrl);
  if (changes.address !== undefined) columns.address = changes.address === null ? null : JSON.stringify(changes.address);
  if (changes.customProperties !== undefined) columns.custom_properties = JSON.stringify(changes.customProperties);
  set('password_hash', changes.passwordHash);
  if (changes.disabled !== undefined) {
    columns.disabled = changes.disabled;
    columns.disabled_at = changes.disabled ? new Date() : null;
  }
  return columns;
}

/** Writes the changes; a taken email, username or phone in the environment is a 409 naming it. */
export async function updateEnvironmentAccount(
  db: Queryable,
  scope: EnvironmentScope,
  accountId: string,
  changes: EnvironmentAccountChanges,
): Promise<EnvironmentAccountRow | undefined> {
  try {
    const [record] = (await db('environment_accounts')
      .where({ ...environmentWhere(scope), id: accountId })
      .update({ ...changeColumns(changes), updated_at: db.fn.now() })
      .returning('*')) as EnvironmentAccountRecord[];
    return record ? toEnvironmentAccountRow(record) : undefined;
  } catch (error) {
    rethrowAsIdentifierTaken(error, UNIQUE_CONSTRAINTS);
  }
}

export async function deleteEnvironmentAccount(db: Queryable, scope: EnvironmentScope, accountId: string): Promise<boolean> {
  const count = await db('environment_accounts').where({ ...environmentWhere(scope), id: accountId }).delete();
  return count > 0;
}
