import type { z } from 'zod';
import { errors } from '../../errors/codes.js';
import type { FieldError } from '../../errors/app-error.js';

/** `["redirectUris", 0]` → `redirectUris[0]`; `["account", "email"]` → `account.email`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

export function toFieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  const result: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        result.push({ field: fieldPath([...(prefix ? [prefix] : []), ...issue.path, key]), message: 'unknown field' });
      }
      continue;
    }
    const path = fieldPath([...(prefix ? [prefix] : []), ...issue.path]);
    result.push({ field: path === '' ? '(body)' : path, message: issue.message });
  }
  return result;
}

/** Parses with a schema or throws a 400 naming every failing field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw errors.validation(toFieldErrors(result.error, prefix));
  return result.data;
}
