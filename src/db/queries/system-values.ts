import type { Queryable } from '../database.js';

export async function findSystemValue(db: Queryable, key: string): Promise<string | undefined> {
  const row = await db<{ key: string; value: string }>('system_values').where({ key }).first();
  return row?.value;
}

/** Inserts once; a value already there (another node won the race) is kept. */
export async function insertSystemValueOnce(db: Queryable, key: string, value: string): Promise<void> {
  await db('system_values').insert({ key, value }).onConflict('key').ignore();
}
