import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestDatabase, type TestDatabase } from '../helpers/test-db.js';

/** Both databases answer a delete and an update with the number of rows they touched. */
describe('row counts on either database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('counts deleted and updated rows', async () => {
    const ids = [randomUUID(), randomUUID()];
    await database.db('tenants').insert(ids.map((id) => ({ id, name: 'count test' })));
    expect(await database.db('tenants').whereIn('id', ids).update({ name: 'renamed' })).toBe(2);
    expect(await database.db('tenants').whereIn('id', ids).delete()).toBe(2);
    expect(await database.db('tenants').whereIn('id', ids).delete()).toBe(0);
  });
});
