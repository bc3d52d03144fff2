import { describe, expect, it } from '@jest/globals';
import { isUnstorableInputError, unstorableFields } from '../../src/db/unstorable.js';
import { toAppError } from '../../src/http/middleware/problem-json.js';
import { createLogger } from '../../src/logger.js';

describe('text the database cannot store', () => {
  it('names every string and key holding a NUL, with its path', () => {
    expect(unstorableFields({ a: 'ok', b: ['x', 'y\u0000'], c: { 'd\u0000': 1, e: { f: '\u0000' } } })).toEqual([
      { field: 'b[1]', message: 'must not contain NUL characters' },
      { field: 'c.d\\u0000', message: 'must not contain NUL characters' },
      { field: 'c.e.f', message: 'must not contain NUL characters' },
    ]);
    expect(unstorableFields({ fine: ['a', 1, null, { b: true }] })).toEqual([]);
  });

  it('answers PostgreSQL’s refusal of such text as a 400, never a 500', () => {
    const logger = createLogger({ logLevel: 'silent' });
    for (const code of ['22021', '22P05']) {
      expect(isUnstorableInputError({ code })).toBe(true);
      expect(toAppError(Object.assign(new Error('invalid byte sequence'), { code }), logger)).toMatchObject({
        status: 400,
        code: 'request.invalid_characters',
      });
    }
    expect(isUnstorableInputError({ code: '23505' })).toBe(false);
  });
});
