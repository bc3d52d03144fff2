/**
 * How an account is found by what a person types: one identifier, already normalised by the
 * caller (emails and usernames in their `*_normalized` form, phones trimmed).
 */
export type IdentifierKind = 'email' | 'username' | 'phone';

export interface IdentifierLookup {
  readonly kind: IdentifierKind;
  readonly value: string;
}

/** The column each kind is compared on; the unique index of each leads with the scope. */
export const identifierColumn: Readonly<Record<IdentifierKind, string>> = {
  email: 'email_normalized',
  username: 'username_normalized',
  phone: 'phone',
};

/** The condition one lookup adds to a query's WHERE clause, beside the query's own scope. */
export const identifierWhere = (lookup: IdentifierLookup): Record<string, string> => ({
  [identifierColumn[lookup.kind]]: lookup.value,
});
