import type { Database } from '../db/database.js';
import { findSystemValue, insertSystemValueOnce } from '../db/queries/system-values.js';
import type { SecretBox } from './crypto.js';

/** The system_values key of the canary; `npm run reencrypt` moves it to the new secret too. */
export const AUTH_SECRET_CANARY_KEY = 'auth_secret_canary';
const CANARY_KEY = AUTH_SECRET_CANARY_KEY;
const CANARY_TEXT = 'sump auth secret canary';

export class AuthSecretMismatchError extends Error {
  constructor() {
    super(
      'AUTH_SECRET does not match this database: it cannot decrypt what was stored with the earlier secret. ' +
        'Start with the secret the database was made with, or put the old one in AUTH_SECRET_PREVIOUS and run npm run reencrypt.',
    );
    this.name = 'AuthSecretMismatchError';
  }
}

/** At start: decrypt one known value, so a wrong AUTH_SECRET stops sump with a clear message. */
export async function checkAuthSecret(db: Database, box: SecretBox): Promise<void> {
  const stored = await findSystemValue(db, CANARY_KEY);
  if (stored === undefined) {
    await insertSystemValueOnce(db, CANARY_KEY, box.encrypt(CANARY_TEXT));
    return;
  }
  let plain: string;
  try {
    plain = box.decrypt(stored);
  } catch {
    throw new AuthSecretMismatchError();
  }
  if (plain !== CANARY_TEXT) throw new AuthSecretMismatchError();
}
