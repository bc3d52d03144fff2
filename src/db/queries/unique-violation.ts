/** PostgreSQL's unique_violation, with the name of the constraint (index) that refused the row. */
export function uniqueViolationConstraint(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return undefined;
  return typeof constraint === 'string' ? constraint : '';
}
