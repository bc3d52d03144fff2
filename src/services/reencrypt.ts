import type { Knex } from 'knex';
import type { Database, Queryable } from '../db/database.js';
import type { SecretBoxes } from './index.js';
import { AUTH_SECRET_CANARY_KEY } from './secret-check.js';

/** One column that holds SecretBox ciphertexts, and how to walk its table in key order. */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
  /** The primary key, in order: rows are read in batches after the last key seen. */
  readonly key: readonly string[];
  readonly box: keyof SecretBoxes;
  /** Restricts the rows (system_values holds one encrypted value among others). */
  readonly where?: Readonly<Record<string, string>>;
}

/**
 * Every encrypted value at rest. A new encrypted column is added here, or `npm run reencrypt`
 * leaves it on the old secret and it stops decrypting once AUTH_SECRET_PREVIOUS is removed.
 */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  { table: 'oidc_clients', column: 'secret_encrypted', key: ['tenant_id', 'environment_id', 'client_id'], box: 'clientSecret' },
  { table: 'signing_keys', column: 'private_jwk_encrypted', key: ['tenant_id', 'environment_id', 'kid'], box: 'signingKey' },
  {
    table: 'oidc_artifacts',
    column: 'id_encrypted',
    key: ['tenant_id', 'environment_id', 'model', 'id_hash'],
    box: 'oidcArtifact',
  },
  { table: 'mail_outbox', column: 'body_encrypted', key: ['tenant_id', 'id'], box: 'mail' },
  { table: 'link_requests', column: 'identifier_encrypted', key: ['tenant_id', 'id'], box: 'linkRequest' },
  // The start-up check (secret-check.ts) encrypts its canary with the signing-key box.
  { table: 'system_values', column: 'value', key: ['key'], box: 'signingKey', where: { key: AUTH_SECRET_CANARY_KEY } },
];

export interface ReencryptCounts {
  readonly table: string;
  readonly column: string;
  /** Rows with a value that were looked at. */
  examined: number;
  /** Moved from the previous secret to the current one. */
  reencrypted: number;
  /** Already under the current secret: left as they were. */
  alreadyCurrent: number;
  /** Decrypted by neither secret: left as they were, and reported. */
  failed: number;
}

export interface ReencryptOptions {
  readonly db: Database;
  /** Boxes built with the new AUTH_SECRET and the old one as AUTH_SECRET_PREVIOUS. */
  readonly boxes: SecretBoxes;
  readonly batchSize?: number;
  readonly columns?: readonly EncryptedColumn[];
  /** Called after each batch is committed. */
  readonly onBatch?: (counts: Readonly<ReencryptCounts>) => void;
}

type Row = Record<string, unknown>;

async function reencryptBatch(
  trx: Queryable,
  target: EncryptedColumn,
  boxes: SecretBoxes,
  after: unknown[] | undefined,
  batchSize: number,
  counts: ReencryptCounts,
): Promise<Row[]> {
  const box = boxes[target.box];
  const query = trx(target.table)
    .select([...target.key, target.column])
    .whereNotNull(target.column)
    .orderBy(target.key.map((column) => ({ column, order: 'asc' })))
    .limit(batchSize)
    .forUpdate();
  if (target.where) query.where(target.where);
  if (after) {
    const columns = target.key.map(() => '??').join(', ');
    const values = target.key.map(() => '?').join(', ');
    query.whereRaw(`(${columns}) > (${values})`, [...target.key, ...after] as Knex.RawBinding[]);
  }
  const rows = (await query) as Row[];
  for (const row of rows) {
    const value = String(row[target.column]);
    counts.examined += 1;
    if (box.isCurrent(value)) {
      counts.alreadyCurrent += 1;
      continue;
    }
    let plaintext: string;
    try {
      plaintext = box.decrypt(value);
    } catch {
      counts.failed += 1;
      continue;
    }
    const keyWhere = Object.fromEntries(target.key.map((column) => [column, row[column]]));
    // Only if the value is still the one read: a concurrent change is never overwritten.
    await trx(target.table)
      .where(keyWhere)
      .andWhere(target.column, value)
      .update({ [target.column]: box.encrypt(plaintext) });
    counts.reencrypted += 1;
  }
  return rows;
}

/**
 * Moves every encrypted value at rest to the current AUTH_SECRET: each batch is read in key
 * order, locked, re-encrypted and committed in one transaction, so the command can run while
 * sump serves (on PostgreSQL) and can be run again after an interruption.
 */
export async function reencryptAll(options: ReencryptOptions): Promise<ReencryptCounts[]> {
  const batchSize = options.batchSize ?? 500;
  const report: ReencryptCounts[] = [];
  for (const target of options.columns ?? ENCRYPTED_COLUMNS) {
    const counts: ReencryptCounts = { table: target.table, column: target.column, examined: 0, reencrypted: 0, alreadyCurrent: 0, failed: 0 };
    let after: unknown[] | undefined;
    for (;;) {
      const rows = await options.db.transaction((trx) => reencryptBatch(trx, target, options.boxes, after, batchSize, counts));
      options.onBatch?.(counts);
      const last = rows.at(-1);
      if (!last || rows.length < batchSize) break;
      after = target.key.map((column) => last[column]);
    }
    report.push(counts);
  }
  return report;
}
