import { z } from 'zod';
import { errors } from '../../errors/codes.js';
import { parseWith } from '../middleware/validate.js';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** `?limit=` (1–100, default 20) and `?cursor=`; a list with filters `.extend`s it. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().min(1).max(512).optional(),
});

export function parsePageQuery(query: unknown): z.output<typeof pageQuery> {
  return parseWith(pageQuery, query);
}

/** Cursors are opaque to callers: the position of the last row, base64url JSON. */
export function encodeCursor(position: object | undefined): string | null {
  return position ? Buffer.from(JSON.stringify(position), 'utf8').toString('base64url') : null;
}

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string | undefined): z.output<S> | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw errors.validation([{ field: 'cursor', message: 'is not a cursor of this list' }]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw errors.validation([{ field: 'cursor', message: 'is not a cursor of this list' }]);
  return result.data;
}
