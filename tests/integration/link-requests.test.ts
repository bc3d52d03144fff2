import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { countRows, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { openMailTestDatabase, startMailTestServer } from '../helpers/smtp.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { startBackgroundTasks } from '../../src/background.js';
import { createLogger } from '../../src/logger.js';

const FORGOT_ANSWER = { message: 'If an account exists with this identifier, a reset link has been sent.' };
const RESEND_ANSWER = { message: 'If an account with an unverified email exists with this identifier, a verification link has been sent.' };

/**
 * Forgot-password and resend-verification only record what was asked; the background processor
 * makes the link and the mail (the answer's timing never depends on whether the account exists:
 * DESIGN.md's mail design, issue 4 item 4). On a private database: the processor takes every
 * request of its database.
 */
describe('link requests (forgot-password and resend-verification in the background)', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server } = mailing);
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await mailing.close();
  });

  const tenantAuth = (path: string) => `/api/v1/auth/tenants/${tenant.tenantId}${path}`;
  const envAuth = (path: string) => `/api/v1/auth/environments/${tenant.environmentId}${path}`;
  const processor = () => server.sump.services.linkRequests;
  const requestsOf = (tenantId: string) => countRows(server.db, 'link_requests', { tenant_id: tenantId });
  const mailsOf = (tenantId: string) => countRows(server.db, 'mail_outbox', { tenant_id: tenantId });
  const linksOf = (tenantId: string, purpose: string) => countRows(server.db, 'link_tokens', { tenant_id: tenantId, purpose });

  it('records one request for a known and for an unknown identifier alike, and makes nothing until processed', async () => {
    const other = await createTenant(server);
    const known = await request(server.url).post(`/api/v1/auth/tenants/${other.tenantId}/forgot-password`).send({ email: other.email });
    expect([known.status, known.body]).toEqual([200, FORGOT_ANSWER]);
    expect(await requestsOf(other.tenantId)).toBe(1);
    const unknown = await request(server.url)
      .post(`/api/v1/auth/tenants/${other.tenantId}/forgot-password`)
      .send({ email: 'nobody-at-all@example.com' });
    expect([unknown.status, unknown.body]).toEqual([200, FORGOT_ANSWER]);
    expect(await requestsOf(other.tenantId)).toBe(2);
    const [first, second] = (await server.db('link_requests').where({ tenant_id: other.tenantId }).orderBy('created_at')) as Array<
      Record<string, unknown>
    >;
    // The two rows look alike: same columns, same purpose, no account named.
    expect(Object.keys(first!).sort()).toEqual(Object.keys(second!).sort());
    expect([first!.purpose, second!.purpose, first!.environment_id, second!.environment_id]).toEqual(['reset_password', 'reset_password', null, null]);
    expect(await linksOf(other.tenantId, 'reset_password')).toBe(0);
    expect(await mailsOf(other.tenantId)).toBe(0);

    await expect(processor().processLinkRequests()).resolves.toBeGreaterThanOrEqual(2);
    expect(await requestsOf(other.tenantId)).toBe(0);
    expect(await linksOf(other.tenantId, 'reset_password')).toBe(1);
    const mails = (await server.db('mail_outbox').where({ tenant_id: other.tenantId }).select('to_address')) as Array<{ to_address: string }>;
    expect(mails.map((mail) => mail.to_address)).toEqual([other.email]);
  });

  it('keeps the identifier unreadable in the table (encrypted), and nothing of it in any column', async () => {
    const marker = `secret-person-${Date.now()}@example.com`;
    const answer = await request(server.url).post(tenantAuth('/forgot-password')).send({ email: marker });
    expect([answer.status, answer.body]).toEqual([200, FORGOT_ANSWER]);
    const rows = (await server.db('link_requests').where({ tenant_id: tenant.tenantId })) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(marker);
    expect(stored).not.toContain('secret-person');
    expect(stored).not.toContain('"email"');
    expect(server.sump.services.boxes.linkRequest.decrypt(String(rows[0]!.identifier_encrypted))).toBe(
      JSON.stringify({ kind: 'email', value: marker }),
    );
    await processor().processLinkRequests();
    expect(await requestsOf(tenant.tenantId)).toBe(0);
    expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: marker })).toBe(0);
  });

  it('makes exactly one link when two processors run at once', async () => {
    const other = await createTenant(server);
    await request(server.url).post(`/api/v1/auth/tenants/${other.tenantId}/forgot-password`).send({ username: other.username }).expect(200);
    expect(await requestsOf(other.tenantId)).toBe(1);
    const runs = await Promise.all([processor().processLinkRequests(), processor().processLinkRequests()]);
    expect(runs[0]! + runs[1]!).toBe(1);
    expect(await requestsOf(other.tenantId)).toBe(0);
    expect(await linksOf(other.tenantId, 'reset_password')).toBe(1);
    expect(await mailsOf(other.tenantId)).toBe(1);
  });

  it('makes nothing for a request whose account was disabled meanwhile', async () => {
    const person = await signupUser(server, tenant.environmentId);
    await request(server.url).post(envAuth('/forgot-password')).send({ email: person.email }).expect(200);
    await request(server.url).post(envAuth('/resend-verification')).send({ email: person.email }).expect(200);
    await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: person.accountId }).update({ disabled: true });
    const mailsBefore = await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: person.email });
    const linksBefore = await countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId, account_id: person.accountId });

    await processor().processLinkRequests();
    expect(await requestsOf(tenant.tenantId)).toBe(0);
    expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: person.email })).toBe(mailsBefore);
    expect(await countRows(server.db, 'link_tokens', { tenant_id: tenant.tenantId, account_id: person.accountId })).toBe(linksBefore);
  });

  it('resends a verification link to an unverified account only, in the background', async () => {
    const unverified = await signupUser(server, tenant.environmentId);
    const verified = await signupUser(server, tenant.environmentId);
    await server.db('environment_accounts').where({ tenant_id: tenant.tenantId, id: verified.accountId }).update({ email_verified: true });
    await processor().processLinkRequests();
    const mailsTo = (address: string) => countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: address });
    const before = { unverified: await mailsTo(unverified.email), verified: await mailsTo(verified.email) };

    for (const person of [unverified, verified]) {
      const answer = await request(server.url).post(envAuth('/resend-verification')).send({ username: person.username });
      expect([answer.status, answer.body]).toEqual([200, RESEND_ANSWER]);
    }
    expect(await requestsOf(tenant.tenantId)).toBe(2);
    expect(await mailsTo(unverified.email)).toBe(before.unverified);

    await processor().processLinkRequests();
    expect(await requestsOf(tenant.tenantId)).toBe(0);
    // one new verification mail, to the unverified account only
    expect(await mailsTo(unverified.email)).toBe(before.unverified + 1);
    expect(await mailsTo(verified.email)).toBe(before.verified);
    const newest = (await server.db('mail_outbox')
      .where({ tenant_id: tenant.tenantId, to_address: unverified.email })
      .orderBy('created_at', 'desc')
      .first()) as { subject: string };
    expect(newest.subject).toMatch(/verify/i);
  });

  it('lets deliverDue() process the requests first, so the mail reaches the SMTP server at once', async () => {
    const person = await signupUser(server, tenant.environmentId);
    // What the earlier tests queued is sent first (a delivery takes 20 mails at a time).
    while ((await server.sump.services.mail.deliverDue()).sent > 0);
    await request(server.url).post(envAuth('/forgot-password')).send({ email: person.email }).expect(200);
    expect(await requestsOf(tenant.tenantId)).toBe(1);
    await expect(server.sump.services.mail.deliverDue()).resolves.toEqual({ sent: 1, failed: 0 });
    expect(await requestsOf(tenant.tenantId)).toBe(0);
    const mails = mailsTo(mailing.smtp.received, person.email);
    const link = resetLinkIn(mails[mails.length - 1]!);
    expect(link.pathname).toBe(`/oidc/${tenant.environmentId}/reset-password`);
  });

  it('drops the requests of a deleted tenant with it', async () => {
    const other = await createTenant(server);
    await request(server.url).post(`/api/v1/auth/tenants/${other.tenantId}/forgot-password`).send({ email: other.email }).expect(200);
    expect(await requestsOf(other.tenantId)).toBe(1);
    await server.db('tenants').where({ id: other.tenantId }).delete();
    expect(await requestsOf(other.tenantId)).toBe(0);
  });

  it('is processed by the background loop without SMTP_URL, so the mail waits in the outbox for npm run outbox', async () => {
    const database = await openMailTestDatabase();
    const plain = await startTestServer({ database });
    const background = startBackgroundTasks({ db: plain.db, logger: createLogger({ logLevel: 'silent' }), services: plain.sump.services, issuers: plain.sump.issuers });
    try {
      expect(plain.sump.services.mail.delivering).toBe(false);
      const owner = await createTenant(plain);
      await request(plain.url).post(`/api/v1/auth/tenants/${owner.tenantId}/forgot-password`).send({ email: owner.email }).expect(200);
      // Waits for the loop (it runs every second); the assertion is on what it did, not on when.
      for (let waited = 0; waited < 100 && (await countRows(plain.db, 'link_requests', { tenant_id: owner.tenantId })) > 0; waited += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await countRows(plain.db, 'link_requests', { tenant_id: owner.tenantId })).toBe(0);
      const mails = (await plain.db('mail_outbox').where({ tenant_id: owner.tenantId }).select('to_address', 'status')) as Array<Record<string, string>>;
      expect(mails).toEqual([{ to_address: owner.email, status: 'pending' }]);
    } finally {
      background.stop();
      await plain.close();
      await database.close();
    }
  });
});
