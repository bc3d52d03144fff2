import { describe, expect, it } from '@jest/globals';
import {
  constantTimeEqual,
  createSecretBox,
  deriveCookieKeys,
  randomToken,
  sha256Hex,
  type KeyPurpose,
} from '../../src/services/crypto.js';

const SECRET_A = 'secret-a-that-is-long-enough-for-sump-0123456789';
const SECRET_B = 'secret-b-that-is-long-enough-for-sump-9876543210';

const keyIdOf = (ciphertext: string) => ciphertext.split('.')[1];

/**
 * Flips one bit of one byte of the ciphertext's data part (ciphertext, then the GCM tag), and
 * re-encodes it. Bytes, not base64 characters: the last character may carry padding bits only.
 */
function tamper(ciphertext: string, index: number): string {
  const parts = ciphertext.split('.');
  const data = Buffer.from(parts[3] ?? '', 'base64url');
  const at = index < 0 ? data.length + index : index;
  data[at] = (data[at] ?? 0) ^ 0x01;
  parts[3] = data.toString('base64url');
  return parts.join('.');
}

describe('secret box (AES-256-GCM, HKDF key per purpose)', () => {
  const box = createSecretBox({ secret: SECRET_A, purpose: 'client-secret' });

  it('round-trips text, unicode and empty strings', () => {
    for (const plaintext of ['a client secret', 'ünïcödé ✓ 🔑', '', 'x'.repeat(10_000)]) {
      const ciphertext = box.encrypt(plaintext);
      expect(ciphertext).toMatch(/^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(ciphertext).not.toContain(plaintext || '\u0000');
      expect(box.decrypt(ciphertext)).toBe(plaintext);
    }
  });

  it('uses a fresh IV: the same plaintext never gives the same ciphertext', () => {
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });

  it('detects tampering with the data, the tag, the IV or the format', () => {
    const ciphertext = box.encrypt('a client secret');
    const length = Buffer.from(ciphertext.split('.')[3] ?? '', 'base64url').length;
    for (let index = 0; index < length; index += 1) {
      expect(() => box.decrypt(tamper(ciphertext, index))).toThrow();
    }
    expect(() => box.decrypt(tamper(ciphertext, -1))).toThrow();
    const parts = ciphertext.split('.');
    const iv = Buffer.from(parts[2] ?? '', 'base64url');
    iv[0] = (iv[0] ?? 0) ^ 0x01;
    expect(() => box.decrypt([parts[0], parts[1], iv.toString('base64url'), parts[3]].join('.'))).toThrow();
    expect(() => box.decrypt(ciphertext.replace(/^v1\./, 'v2.'))).toThrow(/cannot decrypt/);
    expect(() => box.decrypt('not a ciphertext')).toThrow(/cannot decrypt/);
    expect(() => box.decrypt(parts.slice(0, 3).join('.'))).toThrow(/cannot decrypt/);
  });

  it('refuses a ciphertext of another secret', () => {
    const other = createSecretBox({ secret: SECRET_B, purpose: 'client-secret' });
    expect(() => box.decrypt(other.encrypt('x'))).toThrow(/cannot decrypt/);
  });

  it('decrypts with the previous secret and encrypts with the current one', () => {
    const old = createSecretBox({ secret: SECRET_A, purpose: 'signing-key' });
    const rotated = createSecretBox({ secret: SECRET_B, previousSecret: SECRET_A, purpose: 'signing-key' });
    const current = createSecretBox({ secret: SECRET_B, purpose: 'signing-key' });

    const fromOld = old.encrypt('private jwk');
    expect(rotated.decrypt(fromOld)).toBe('private jwk');
    expect(() => current.decrypt(fromOld)).toThrow(/cannot decrypt/);

    const fromRotated = rotated.encrypt('private jwk');
    expect(current.decrypt(fromRotated)).toBe('private jwk');
    expect(() => old.decrypt(fromRotated)).toThrow(/cannot decrypt/);
  });

  it('carries the key id, which tells current values from previous ones', () => {
    const old = createSecretBox({ secret: SECRET_A, purpose: 'mail' });
    const rotated = createSecretBox({ secret: SECRET_B, previousSecret: SECRET_A, purpose: 'mail' });
    const fromOld = old.encrypt('body');
    const fromRotated = rotated.encrypt('body');

    expect(keyIdOf(fromOld)).not.toBe(keyIdOf(fromRotated));
    expect(keyIdOf(old.encrypt('another'))).toBe(keyIdOf(fromOld));
    expect(old.isCurrent(fromOld)).toBe(true);
    expect(rotated.isCurrent(fromOld)).toBe(false);
    expect(rotated.isCurrent(fromRotated)).toBe(true);
    expect(rotated.isCurrent('garbage')).toBe(false);
  });

  it('derives a different key for every purpose', () => {
    const purposes: KeyPurpose[] = ['client-secret', 'signing-key', 'oidc-artifact', 'mail', 'cookie', 'csrf'];
    const boxes = purposes.map((purpose) => createSecretBox({ secret: SECRET_A, purpose }));
    const ciphertexts = boxes.map((each) => each.encrypt('same plaintext'));
    expect(new Set(ciphertexts.map(keyIdOf)).size).toBe(purposes.length);
    // A value of one purpose cannot be opened by the key of another.
    expect(() => boxes[1]?.decrypt(ciphertexts[0] ?? '')).toThrow(/cannot decrypt/);
    expect(boxes[0]?.decrypt(ciphertexts[0] ?? '')).toBe('same plaintext');
  });
});

describe('crypto helpers', () => {
  it('makes random URL-safe tokens of the asked entropy', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(token);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hashes with SHA-256 in hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares in constant time, lengths included', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });

  it('derives cookie keys, current first, the previous one after it', () => {
    const [current, previous, ...rest] = deriveCookieKeys(SECRET_B, SECRET_A);
    expect(rest).toEqual([]);
    expect(current).toBe(deriveCookieKeys(SECRET_B)[0]);
    expect(previous).toBe(deriveCookieKeys(SECRET_A)[0]);
    expect(current).not.toBe(previous);
    expect(current).not.toContain(SECRET_B);
  });
});
