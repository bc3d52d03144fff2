import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createPasswordHasher } from '../../src/services/passwords.js';

/** Cheap parameters for speed; the production ones are checked on their own below. */
const hasher = createPasswordHasher({ memoryKib: 1024, timeCost: 1, parallelism: 1 });

describe('password hasher (argon2id)', () => {
  it('hashes and verifies', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash).not.toContain('correct horse');
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapl')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  it('salts: the same password gives two different hashes, both valid', async () => {
    const [first, second] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(first).not.toBe(second);
    await expect(hasher.verify(second, 'same password')).resolves.toBe(true);
  });

  it('answers false, not an error, with no hash or a malformed one', async () => {
    await expect(hasher.verify(null, 'anything')).resolves.toBe(false);
    await expect(hasher.verify(undefined, 'anything')).resolves.toBe(false);
    await expect(hasher.verify('', 'anything')).resolves.toBe(false);
    await expect(hasher.verify('$2b$10$not-an-argon2-hash', 'anything')).resolves.toBe(false);
  });

  it('uses OWASP parameters by default in production (m=19456 KiB, t=2, p=1)', async () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://id.example.com',
      AUTH_SECRET: 'a-production-secret-long-enough-0123456789',
      DATABASE_URL: 'postgres://localhost/sump',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sump-passwords-test-')),
    });
    const hash = await createPasswordHasher(config.argon2).hash('a long passphrase');
    expect(hash.split('$')[3]).toBe('m=19456,t=2,p=1');
  });
});
