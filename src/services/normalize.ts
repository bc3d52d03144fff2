/**
 * The form in which emails and usernames are compared and kept unique: trimmed, Unicode NFKC,
 * then lower-cased here (PostgreSQL's lower() depends on the database's locale).
 */
export function normalizeIdentifier(value: string): string {
  return value.trim().normalize('NFKC').toLowerCase();
}
