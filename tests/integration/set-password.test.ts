import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { countRows, createTenant, unique, type TestTenant } from '../helpers/fixtures.js';
import { HttpBrowser, pageText } from '../helpers/http-browser.js';
import { decodedMail, mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { startMailTestServer } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'my very own passphrase';

/** An account made without a password gets a set-password link (72 hours) by mail (DESIGN.md). */
describe('set-password mails', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
    tenant = await createTenant(server);
  });
  afterAll(async () => {
    await mailing.close();
  });

  async function mailTo(address: string) {
    await server.sump.services.mail.deliverDue();
    const mail = mailsTo(smtp.received, address).at(-1);
    if (!mail) throw new Error(`no mail to ${address}`);
    return mail;
  }
  const person = () => {
    const id = unique();
    return { name: 'Katherine Johnson', email: `new-${id}@example.com`, username: `new_${id}` };
  };

  it('mails a tenant account made without a password a link to the reset page, valid 72 hours', async () => {
    const body = person();
    const created = await request(server.url)
      .post(`/api/v1/tenants/${tenant.tenantId}/accounts`)
      .set('Cookie', tenant.cookie)
      .set('Origin', server.url)
      .send({ ...body, role: 'user' });
    expect(created.status).toBe(201);
    const mail = await mailTo(body.email);
    expect(decodedMail(mail)).toContain('Subject: Set your password');
    const link = resetLinkIn(mail);
    expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/tenants/${tenant.tenantId}/reset-password`);
    const row = await server.db('link_tokens').where({ tenant_id: tenant.tenantId, account_id: created.body.id }).first();
    expect(row.purpose).toBe('set_password');
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(72 * 3600 * 1000);

    const browser = new HttpBrowser();
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    const done = await browser.submit(page, { password: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(pageText(done)).toContain('Your password is set');
    const login = await request(server.url).post(`/api/v1/auth/tenants/${tenant.tenantId}/login`).send({ email: body.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
  });

  it('mails an environment account made without a password, and nobody made with one', async () => {
    const body = person();
    const created = await request(server.url)
      .post(`/api/v1/environments/${tenant.environmentId}/accounts`)
      .set('Cookie', tenant.cookie)
      .set('Origin', server.url)
      .send(body);
    expect(created.status).toBe(201);
    const link = resetLinkIn(await mailTo(body.email));
    expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/reset-password`);
    const reset = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/reset-password`)
      .send({ token: link.searchParams.get('token'), newPassword: NEW_PASSWORD });
    expect(reset.status).toBe(200);
    const login = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/login`)
      .send({ email: body.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);

    const withPassword = { ...person(), password: 'a password given at once' };
    const made = await request(server.url)
      .post(`/api/v1/environments/${tenant.environmentId}/accounts`)
      .set('Cookie', tenant.cookie)
      .set('Origin', server.url)
      .send(withPassword);
    expect(made.status).toBe(201);
    expect(await countRows(server.db, 'mail_outbox', { tenant_id: tenant.tenantId, to_address: withPassword.email })).toBe(0);
  });
});
