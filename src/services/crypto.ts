import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** What each derived key is for; a key never serves two purposes. */
export type KeyPurpose =
  | 'client-secret'
  | 'signing-key'
  | 'oidc-artifact'
  | 'mail'
  | 'link-request'
  | 'cookie'
  | 'csrf'
  | 'interaction-resume';

/** A random, URL-safe token of `bytes` bytes of entropy (32 → 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256, hex: how tokens are kept at rest and looked up. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'sump', `sump:${purpose}:v1`, 32));
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
  /** True when the value was encrypted under the current secret (re-encryption skips it). */
  isCurrent(ciphertext: string): boolean;
}

/**
 * AES-256-GCM under a key derived with HKDF from AUTH_SECRET for one purpose. Ciphertexts read
 * `v1.<keyId>.<iv>.<data+tag>`; the key id lets AUTH_SECRET_PREVIOUS still decrypt while
 * `npm run reencrypt` moves values to the current secret.
 */
export function createSecretBox(options: {
  secret: string;
  previousSecret?: string | undefined;
  purpose: KeyPurpose;
}): SecretBox {
  const current = deriveKey(options.secret, options.purpose);
  const currentId = keyIdOf(current);
  const keys = new Map<string, Buffer>([[currentId, current]]);
  if (options.previousSecret) {
    const previous = deriveKey(options.previousSecret, options.purpose);
    keys.set(keyIdOf(previous), previous);
  }

  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${currentId}.${iv.toString('base64url')}.${data.toString('base64url')}`;
    },
    decrypt(ciphertext) {
      const [version, keyId, ivText, dataText] = ciphertext.split('.');
      const key = keyId ? keys.get(keyId) : undefined;
      if (version !== 'v1' || !key || !ivText || !dataText) {
        throw new Error('cannot decrypt: unknown format or key (is AUTH_SECRET the one this database was made with?)');
      }
      const data = Buffer.from(dataText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    },
    isCurrent(ciphertext) {
      return ciphertext.split('.')[1] === currentId;
    },
  };
}

/** Keys for signing cookies (current first, then previous), derived from the auth secrets. */
export function deriveCookieKeys(secret: string, previousSecret?: string): string[] {
  const keys = [deriveKey(secret, 'cookie').toString('base64url')];
  if (previousSecret) keys.push(deriveKey(previousSecret, 'cookie').toString('base64url'));
  return keys;
}

/** A keyed MAC for CSRF tokens and the like. */
export function deriveMacKey(secret: string, purpose: KeyPurpose): Buffer {
  return deriveKey(secret, purpose);
}
