import { customPropertyKeyField } from './custom-properties.js';
import { z } from 'zod';
import { PASSWORD_MAX_BYTES, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';
import { normalizeIdentifier } from './normalize.js';

/**
 * The field rules of accounts, shared by the API's schemas and the hosted pages (the original's
 * rules, with DESIGN.md's: E.164 phones everywhere, ASCII usernames, 8–256-character passwords
 * of at most 1,024 UTF-8 bytes checked before hashing).
 */
export const E164_PATTERN = /^\+[0-9]{6,14}[0-9]$/;
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,20}$/;
const EMAIL_MAX_LENGTH = 320;

/**
 * Control characters (C0, C1) and the bidirectional overrides that reorder what a reader sees:
 * never part of a name, and a terminal or a mail client would act on them.
 */
const CONTROL_OR_BIDI = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
export const isPrintable = (value: string): boolean => !CONTROL_OR_BIDI.test(value);
const PRINTABLE = 'must not contain control characters';

export const personNameField = z
  .string()
  .trim()
  .min(3, 'must be 3 to 100 characters')
  .max(100, 'must be 3 to 100 characters')
  .refine(isPrintable, PRINTABLE);

/** The name of a client, an API resource or an API key: 1–100 printable characters. */
export const labelField = z
  .string()
  .trim()
  .min(1, 'must be 1 to 100 characters')
  .max(100, 'must be 1 to 100 characters')
  .refine(isPrintable, PRINTABLE);

export const emailField = z
  .string()
  .trim()
  .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .pipe(z.email('must be an email address'))
  .refine((value) => normalizeIdentifier(value).length <= EMAIL_MAX_LENGTH, 'is too long');

export const usernameField = z
  .string()
  .trim()
  .regex(USERNAME_PATTERN, 'must be 3 to 20 letters, digits, ".", "_" or "-"');

export const phoneField = z.string().trim().regex(E164_PATTERN, 'must be an E.164 number such as +14155551234');

export const avatarUrlField = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }));

/** Characters as people count them (code points), not UTF-16 units: an emoji is one. */
export const characterCount = (value: string): number => [...value].length;

/**
 * A new password: 8–256 characters and at most 1,024 bytes in UTF-8 (argon2's input stays
 * bounded), checked before hashing. Environments may ask for more (passwordPolicy.minLength).
 */
export function newPasswordFieldOf(minLength: number) {
  const minimum = Math.max(minLength, PASSWORD_MIN_LENGTH);
  return z
    .string()
    .max(PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .refine((value) => characterCount(value) >= minimum, `must be at least ${minimum} characters`)
    .refine((value) => characterCount(value) <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .refine((value) => Buffer.byteLength(value, 'utf8') <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes`);
}

/** A new password under the default policy; an environment's pages use its own minimum (newPasswordFieldOf). */
export const newPasswordField = newPasswordFieldOf(PASSWORD_MIN_LENGTH);

/** A password given to sign in: any string that could have been set (its rules may have changed). */
export const loginPasswordField = z
  .string()
  .min(1, 'is required')
  .refine((value) => Buffer.byteLength(value, 'utf8') <= PASSWORD_MAX_BYTES, `must be at most ${PASSWORD_MAX_BYTES} bytes`);

/** A JSON object of the tenant's own data (any JSON values), never an array; keys by the same rule DELETE …/custom-property names them with: whatever can be set can be removed. */
export const customPropertiesField = z.record(customPropertyKeyField, z.unknown(), {
  error: (issue) => (issue.code === 'invalid_key' ? 'keys must be 1 to 255 characters' : undefined),
});

/** Tenant and environment names. */
export const entityNameField = z
  .string()
  .trim()
  .min(2, 'must be 2 to 255 characters')
  .max(255, 'must be 2 to 255 characters')
  .refine(isPrintable, PRINTABLE);
