import type { Queryable } from '../database.js';

/** Counts one hit in the key's current window and answers the count so far (atomic upsert). */
export async function countHit(db: Queryable, keyHash: string, windowStart: Date, expiresAt: Date): Promise<number> {
  const result = await db.raw(
    `insert into rate_limit_counters (key_hash, window_start, count, expires_at) values (?, ?, 1, ?)
     on conflict (key_hash) do update set
       count = case when rate_limit_counters.window_start = excluded.window_start then rate_limit_counters.count + 1 else 1 end,
       window_start = excluded.window_start,
       expires_at = excluded.expires_at
     returning count`,
    [keyHash, windowStart, expiresAt],
  );
  const rows = (result as { rows: Array<{ count: number | string }> }).rows;
  return Number(rows[0]?.count ?? 0);
}

/** Takes back one hit counted in the key's window that starts at `windowStart`. */
export async function uncountHit(db: Queryable, keyHash: string, windowStart: Date): Promise<void> {
  await db('rate_limit_counters')
    .where({ key_hash: keyHash, window_start: windowStart })
    .andWhere('count', '>', 0)
    .decrement('count', 1);
}

/** The hits counted so far in the key's window that starts at `windowStart` (0 if none). */
export async function readHitCount(db: Queryable, keyHash: string, windowStart: Date): Promise<number> {
  const row = await db('rate_limit_counters').where({ key_hash: keyHash, window_start: windowStart }).first('count');
  return Number((row as { count?: number | string } | undefined)?.count ?? 0);
}

export async function deleteExpiredRateLimitCounters(db: Queryable, now: Date, batchSize = 1000): Promise<number> {
  return db('rate_limit_counters')
    .whereIn('key_hash', db('rate_limit_counters').select('key_hash').where('expires_at', '<=', now).limit(batchSize))
    .delete();
}
