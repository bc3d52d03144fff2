import type { FieldError } from '../errors/app-error.js';

/**
 * Text PostgreSQL cannot store: a NUL character (U+0000) in text or jsonb. It is the caller's
 * error, so it is refused at every edge (JSON bodies, OIDC parameters, sign-in lookups), and a
 * database error of this kind that slips past is still answered as a 400, never a 500.
 */
const NUL = '\u0000';

export const isStorableText = (value: string): boolean => !value.includes(NUL);

/** The paths (`account.name`, `redirectUris[0]`) of the first strings or keys holding a NUL. */
export function unstorableFields(value: unknown, path = ''): FieldError[] {
  const found: FieldError[] = [];
  const visit = (node: unknown, at: string) => {
    if (found.length >= 10) return;
    if (typeof node === 'string') {
      if (!isStorableText(node)) found.push({ field: at || '(body)', message: 'must not contain NUL characters' });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, `${at}[${index}]`));
      return;
    }
    if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        const next = at ? `${at}.${key}` : key;
        if (!isStorableText(key)) found.push({ field: next.replaceAll(NUL, '\\u0000'), message: 'must not contain NUL characters' });
        else visit(item, next);
      }
    }
  };
  visit(value, path);
  return found;
}

/** PostgreSQL's answer to such text: invalid byte sequence (22021), bad jsonb escape (22P05). */
export function isUnstorableInputError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}
