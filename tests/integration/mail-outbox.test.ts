import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTenant, type TestTenant } from '../helpers/fixtures.js';
import { startMailTestServer } from '../helpers/smtp.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Mail goes through the outbox: queued with what caused it, sent by the worker over SMTP. */
describe('the mail outbox', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    mailing = await startMailTestServer({ env: { MAIL_FROM: 'sump <no-reply@sump.test>' }, failFirst: 1 });
    ({ server, smtp } = mailing);
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await mailing.close();
  });

  const row = (id: string) => server.db('mail_outbox').where({ tenant_id: tenant.tenantId, id }).first();

  it('keeps the body encrypted at rest and sends it over SMTP, retrying a refusal', async () => {
    const { mail } = server.sump.services;
    const id = await mail.queue(server.db, {
      tenantId: tenant.tenantId,
      to: 'grace@example.com',
      subject: 'Reset your password',
      text: 'Open https://sump.test/reset?token=secret-link-token',
      html: '<p><a href="https://sump.test/reset?token=secret-link-token">Reset</a></p>',
    });
    const stored = await row(id);
    expect(stored.status).toBe('pending');
    expect(stored.body_encrypted).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain('secret-link-token');

    // the SMTP server refuses the first attempt: the mail waits for its retry
    expect(await mail.deliverDue()).toEqual({ sent: 0, failed: 1 });
    const refused = await row(id);
    expect(refused).toMatchObject({ status: 'pending', attempts: 1 });
    expect(new Date(refused.next_attempt_at).getTime()).toBeGreaterThan(Date.now());
    expect(smtp.received).toHaveLength(0);

    // at its retry time it goes
    expect(await mail.deliverDue(new Date(Date.now() + 3600 * 1000))).toEqual({ sent: 1, failed: 0 });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({ from: 'no-reply@sump.test', to: ['grace@example.com'] });
    expect(smtp.received[0]?.raw).toContain('Subject: Reset your password');
    expect(smtp.received[0]?.raw).toContain('secret-link-token');

    // and only once
    expect(await mail.deliverDue(new Date(Date.now() + 7200 * 1000))).toEqual({ sent: 0, failed: 0 });
  });

  it('queues in the caller’s transaction: a rolled-back change sends nothing', async () => {
    const { mail } = server.sump.services;
    await expect(
      server.db.transaction(async (trx) => {
        await mail.queue(trx, { tenantId: tenant.tenantId, to: 'x@example.com', subject: 'Never', text: 't', html: 'h' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await server.db('mail_outbox').where({ tenant_id: tenant.tenantId, subject: 'Never' })).toEqual([]);
  });
});

describe('the mail outbox without SMTP_URL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('leaves mails in the outbox for npm run outbox', async () => {
    const tenant = await createTenant(server);
    const { mail } = server.sump.services;
    expect(mail.delivering).toBe(false);
    const id = await mail.queue(server.db, { tenantId: tenant.tenantId, to: 'a@example.com', subject: 'Kept', text: 't', html: 'h' });
    expect(await mail.deliverDue()).toEqual({ sent: 0, failed: 0 });
    expect((await server.db('mail_outbox').where({ tenant_id: tenant.tenantId, id }).first()).status).toBe('pending');
  });
});
