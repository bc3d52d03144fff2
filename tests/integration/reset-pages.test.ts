import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createEnvironment, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { HttpBrowser, pageText, readForm } from '../helpers/http-browser.js';
import { mailsTo, resetLinkIn } from '../helpers/mail-links.js';
import { startMailTestServer } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'a brand new passphrase';

/** The reset pages a mail links to: GET shows the form and uses nothing up, the POST sets the password. */
describe('reset password pages', () => {
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

  async function linkMailedTo(address: string): Promise<URL> {
    await server.sump.services.mail.deliverDue();
    const mails = mailsTo(smtp.received, address);
    const mail = mails[mails.length - 1];
    if (!mail) throw new Error(`no mail to ${address}`);
    return resetLinkIn(mail);
  }
  const unusedTokens = (tenantId: string) => server.db('link_tokens').where({ tenant_id: tenantId, used_at: null });

  it('resets a tenant account through /tenants/:tenantId/reset-password', async () => {
    const owner = await createTenant(server);
    await request(server.url).post(`/api/v1/auth/tenants/${owner.tenantId}/forgot-password`).send({ email: owner.email }).expect(200);
    const link = await linkMailedTo(owner.email);
    expect(link.pathname).toBe(`/tenants/${owner.tenantId}/reset-password`);

    // a mail scanner fetches the link: nothing is used up
    const scanned = await fetch(link.href);
    expect(scanned.status).toBe(200);
    const browser = new HttpBrowser();
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const form = readForm(page);
    expect(Object.keys(form.fields).sort()).toEqual(['csrf', 'password', 'token']);
    expect(await unusedTokens(owner.tenantId)).toHaveLength(1);

    const done = await browser.submit(page, { password: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(pageText(done)).toContain('Your password is set');
    expect(await unusedTokens(owner.tenantId)).toHaveLength(0);
    // the audit log says from where the page set it
    const audited = await server.db('audit_events').where({ tenant_id: owner.tenantId, action: 'tenant_account.password_reset' });
    expect(audited.map((event: { ip: string | null }) => event.ip)).toEqual(['127.0.0.1']);

    const login = await request(server.url).post(`/api/v1/auth/tenants/${owner.tenantId}/login`).send({ email: owner.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
    const oldSession = await request(server.url).get(`/api/v1/auth/tenants/${owner.tenantId}/session`).set('Cookie', owner.cookie);
    expect(oldSession.status).toBe(401);

    // used: the link now shows an error page
    const again = await browser.follow(link.href);
    expect(again.status).toBe(400);
    expect(pageText(again)).toContain('This link does not work');
  });

  it('resets an environment account through /oidc/:envId/reset-password', async () => {
    const person = await signupUser(server, tenant.environmentId);
    await request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/forgot-password`).send({ email: person.email }).expect(200);
    const link = await linkMailedTo(person.email);
    expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/reset-password`);

    const browser = new HttpBrowser();
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    await browser.follow(link.href); // opened twice: still good

    // a too-short password shows the form again, and the link still works
    const short = await browser.submit(page, { password: 'short' });
    expect(short.status).toBe(400);
    expect(pageText(short)).toContain('at least');
    const done = await browser.submit(short, { password: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(pageText(done)).toContain('Your password is set');

    const oldSession = await request(server.url)
      .get(`/api/v1/auth/environments/${tenant.environmentId}/session`)
      .set('Authorization', `Bearer ${person.sessionToken}`);
    expect(oldSession.status).toBe(401);
    const login = await request(server.url)
      .post(`/api/v1/auth/environments/${tenant.environmentId}/login`)
      .send({ email: person.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
  });

  it("shows an error page for a bad link, another environment's link, or a form without its CSRF token", async () => {
    const person = await signupUser(server, tenant.environmentId);
    const other = await createEnvironment(server, tenant);
    await request(server.url).post(`/api/v1/auth/environments/${tenant.environmentId}/forgot-password`).send({ email: person.email }).expect(200);
    const link = await linkMailedTo(person.email);
    const token = link.searchParams.get('token') as string;
    const browser = new HttpBrowser();

    const bad = await browser.follow(`${server.url}/oidc/${tenant.environmentId}/reset-password?token=nope`);
    expect(bad.status).toBe(400);
    const elsewhere = await browser.follow(`${server.url}/oidc/${other.id}/reset-password?token=${token}`);
    expect(elsewhere.status).toBe(400);
    const atTenant = await browser.follow(`${server.url}/tenants/${tenant.tenantId}/reset-password?token=${token}`);
    expect(atTenant.status).toBe(400);
    const notUuid = await browser.follow(`${server.url}/tenants/nope/reset-password?token=${token}`);
    expect(notUuid.status).toBe(404);

    const page = await browser.follow(link.href);
    const noCsrf = await browser.follow(readForm(page).action, { method: 'POST', form: { token, password: NEW_PASSWORD } });
    expect(noCsrf.status).toBe(403);
    // none of this used the link up
    const done = await browser.submit(page, { password: NEW_PASSWORD });
    expect(done.status).toBe(200);
  });
});
