import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenant, type TestTenant } from '../helpers/fixtures.js';
import { onPostgres, openTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

/**
 * A change to an environment drops its cached issuer on this node at once and on every node
 * sharing the database within a second. Two nodes need a real PostgreSQL: on the embedded
 * database (one process) the second node is the same process, and only that is checked.
 */
describe('issuer cache eviction across nodes', () => {
  let database: TestDatabase;
  let first: TestServer;
  let second: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    database = await openTestDatabase();
    first = await startTestServer({ database });
    second = onPostgres() ? await startTestServer() : first;
    tenant = await createTenant(first);
  });
  afterAll(async () => {
    if (second !== first) await second.close();
    await first.close();
    await database.close();
  });

  it('rebuilds the issuer on this node at once', async () => {
    const before = await first.sump.issuers.get(tenant.environmentId);
    await first.sump.issuers.evict(tenant.environmentId);
    const after = await first.sump.issuers.get(tenant.environmentId);
    expect(after?.provider).toBeDefined();
    expect(after?.provider).not.toBe(before?.provider);
  });

  it(`rebuilds it on the other node within a second (${onPostgres() ? 'two nodes on PostgreSQL' : 'embedded: one node'})`, async () => {
    const before = await second.sump.issuers.get(tenant.environmentId);
    // the listening connection of a new node may still be starting
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.sump.issuers.evict(tenant.environmentId);
    const rebuilt = await eventually(
      async () => (await second.sump.issuers.get(tenant.environmentId))?.provider !== before?.provider,
      1000,
    );
    expect(rebuilt).toBe(true);
  });
});
