import argon2 from 'argon2';
import type { Argon2Config } from '../config/config.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies; with no hash (unknown account, no password) it still spends one verification. */
  verify(hash: string | null | undefined, password: string): Promise<boolean>;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const PASSWORD_MAX_BYTES = 1024;

/** argon2id with the configured cost (OWASP's m=19456 KiB, t=2, p=1 by default). */
export function createPasswordHasher(options: Argon2Config): PasswordHasher {
  const params = {
    type: argon2.argon2id,
    memoryCost: options.memoryKib,
    timeCost: options.timeCost,
    parallelism: options.parallelism,
  } as const;
  // A real hash of a random value, so that a lookup that finds nobody costs what a real check costs.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= argon2.hash(`dummy-${Math.random()}`, params));

  return {
    hash: (password) => argon2.hash(password, params),
    async verify(hash, password) {
      if (!hash) {
        await argon2.verify(await getDummyHash(), password).catch(() => false);
        return false;
      }
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
  };
}
