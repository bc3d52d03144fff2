import type { IdentifierLookup } from '../db/queries/identifier-lookup.js';
import { isStorableText } from '../db/unstorable.js';
import { normalizeIdentifier } from './normalize.js';

/**
 * What a person signs in with: one of email, username or phone (the JSON API), or one
 * `identifier` (the hosted pages): an email when it contains "@", otherwise a username.
 */
export type AccountLookup =
  | { readonly email: string }
  | { readonly username: string }
  | { readonly phone: string }
  | { readonly identifier: string };

/** Whether a lookup can match anyone at all (text the database cannot hold matches nobody). */
export function canMatch(lookup: IdentifierLookup): boolean {
  return isStorableText(lookup.value);
}

/** The normalised form a lookup is compared in (the `*_normalized` columns; phones trimmed). */
export function toIdentifierLookup(lookup: AccountLookup): IdentifierLookup {
  if ('email' in lookup) return { kind: 'email', value: normalizeIdentifier(lookup.email) };
  if ('username' in lookup) return { kind: 'username', value: normalizeIdentifier(lookup.username) };
  if ('phone' in lookup) return { kind: 'phone', value: lookup.phone.trim() };
  const value = normalizeIdentifier(lookup.identifier);
  return { kind: value.includes('@') ? 'email' : 'username', value };
}
