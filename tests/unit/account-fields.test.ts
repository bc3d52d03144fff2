import { describe, expect, it } from '@jest/globals';
import {
  avatarUrlField,
  emailField,
  entityNameField,
  labelField,
  newPasswordField,
  personNameField,
  phoneField,
  usernameField,
} from '../../src/services/account-fields.js';
import { toIdentifierLookup } from '../../src/services/lookup.js';

const ok = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('account fields', () => {
  it('person names: 3 to 100 characters, trimmed', () => {
    expect(ok(personNameField, 'Ada')).toBe(true);
    expect(ok(personNameField, 'x'.repeat(100))).toBe(true);
    expect(ok(personNameField, 'Al')).toBe(false);
    expect(ok(personNameField, '  Al  ')).toBe(false);
    expect(ok(personNameField, 'x'.repeat(101))).toBe(false);
  });

  it('names and labels hold no control character nor bidirectional override (regression: ESC reached the outbox print)', () => {
    for (const schema of [personNameField, entityNameField, labelField]) {
      expect(ok(schema, 'Zoë Nuñez 😀')).toBe(true);
      expect(ok(schema, '👩‍💻 Team')).toBe(true);
      for (const bad of ['Eve \u001b[2J', 'Bell\u0007', 'Tab\there', 'line\nbreak', 'C1\u0085x', 'evil\u202Etxt.exe', 'iso\u2066late']) {
        expect([bad, ok(schema, bad)]).toEqual([bad, false]);
      }
    }
  });

  it('usernames: 3 to 20 ASCII letters, digits, ".", "_" and "-"', () => {
    for (const value of ['abc', 'a.b_c-d', 'A'.repeat(20), 'user123']) expect(ok(usernameField, value)).toBe(true);
    for (const value of ['ab', 'a'.repeat(21), 'a b', 'émile', 'a/b', 'a@b', '']) expect(ok(usernameField, value)).toBe(false);
  });

  it('emails: the usual shapes, including +tags', () => {
    for (const value of ['user@example.com', 'user+tag@example.co.uk', 'First.Last@Example.COM']) expect(ok(emailField, value)).toBe(true);
    for (const value of ['no-at', 'a@b', '@example.com', 'a@@example.com', `${'a'.repeat(320)}@example.com`]) {
      expect(ok(emailField, value)).toBe(false);
    }
  });

  it('phones: E.164', () => {
    for (const value of ['+14155551234', '+442071234567', '+5511987654321']) expect(ok(phoneField, value)).toBe(true);
    for (const value of ['123-456-7890', '555', '+12345', '14155551234', '+1234567890123456']) expect(ok(phoneField, value)).toBe(false);
  });

  it('avatar URLs: http(s) only', () => {
    expect(ok(avatarUrlField, 'https://example.com/a.png')).toBe(true);
    for (const value of ['not-a-url', 'javascript:alert(1)', 'ftp://example.com/a.png']) expect(ok(avatarUrlField, value)).toBe(false);
  });

  it('passwords: 8 to 256 characters and at most 1024 bytes', () => {
    expect(ok(newPasswordField, '12345678')).toBe(true);
    expect(ok(newPasswordField, 'x'.repeat(256))).toBe(true);
    expect(ok(newPasswordField, '1234567')).toBe(false);
    expect(ok(newPasswordField, 'x'.repeat(257))).toBe(false);
    // characters are code points: 256 emoji are 256 characters (512 UTF-16 units, 1024 bytes)
    expect(ok(newPasswordField, '😀'.repeat(256))).toBe(true);
    expect(ok(newPasswordField, '😀'.repeat(257))).toBe(false);
    expect(ok(newPasswordField, '😀'.repeat(4))).toBe(false);
    expect(ok(newPasswordField, '€'.repeat(256))).toBe(true);
  });
});

describe('identifier lookups', () => {
  it('compares emails and usernames in their normalised form', () => {
    expect(toIdentifierLookup({ email: '  Ada@Example.COM ' })).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(toIdentifierLookup({ username: 'Ada_L' })).toEqual({ kind: 'username', value: 'ada_l' });
    expect(toIdentifierLookup({ phone: ' +14155551234 ' })).toEqual({ kind: 'phone', value: '+14155551234' });
  });

  it('reads a hosted-page identifier as an email when it has "@", else as a username', () => {
    expect(toIdentifierLookup({ identifier: 'Ada@Example.com' })).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(toIdentifierLookup({ identifier: 'ADA' })).toEqual({ kind: 'username', value: 'ada' });
    // NFKC: a fullwidth "＠" is an "@"
    expect(toIdentifierLookup({ identifier: 'ada＠example.com' })).toEqual({ kind: 'email', value: 'ada@example.com' });
  });
});
