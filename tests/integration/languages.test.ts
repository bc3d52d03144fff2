import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'node-html-parser';
import type * as oidc from 'openid-client';
import { createClient, createTenant, signupUser, type TestTenant } from '../helpers/fixtures.js';
import { findElement, HttpBrowser, pageText, readForm, type PageResponse } from '../helpers/http-browser.js';
import { mailsTo } from '../helpers/mail-links.js';
import { authorizationRequest, discoverClient, issuerOf, newBrowser } from '../helpers/oidc.js';
import { startMailTestServer, type ReceivedMail } from '../helpers/smtp.js';
import type { TestServer } from '../helpers/test-server.js';
import type { EnvironmentRow } from '../../src/db/queries/environments.js';
import { brandOfEnvironment } from '../../src/services/environment-settings.js';

const NEW_PASSWORD = 'uma palavra-passe nova';

/** A mail as a person reads it: its subject and its parts, transfer encodings undone, as UTF-8. */
function readMail(mail: ReceivedMail): { subject: string; text: string; html: string } {
  const [head = '', ...rest] = mail.raw.split(/\r?\n\r?\n/);
  const headers = head.replace(/\r?\n[ \t]+/g, ' ');
  const words = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  const subject = words
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, kind: string, value: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(value, 'base64').toString('utf8')
        : Buffer.from(value.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
    );
  const parts: Record<string, string> = {};
  for (const part of rest.join('\n\n').split(/\r?\n--[^\r\n]+/)) {
    const type = /Content-Type: text\/(plain|html)/i.exec(part)?.[1];
    if (!type) continue;
    const encoding = /Content-Transfer-Encoding: ([\w-]+)/i.exec(part)?.[1]?.toLowerCase();
    const body = part.slice(part.search(/\r?\n\r?\n/)).trim();
    parts[type] =
      encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : encoding === 'quoted-printable'
          ? Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
          : body;
  }
  return { subject, text: parts.plain ?? '', html: parts.html ?? '' };
}

/**
 * Languages (issue 4, item 7, and the mail part of item 2): the pages and mails speak the
 * language of the request's `ui_locales` (English, Portuguese), English by default, and what
 * the request reflects (`ui_locales`, `login_hint`) stays inert.
 */
describe('languages of the hosted pages and mails', () => {
  let mailing: Awaited<ReturnType<typeof startMailTestServer>>;
  let smtp: Awaited<ReturnType<typeof startMailTestServer>>['smtp'];
  let server: TestServer;
  let tenant: TestTenant;
  let config: oidc.Configuration;
  let environment: EnvironmentRow;
  /** What the mails call the environment: its display name, else its name. */
  let brand: string;

  beforeAll(async () => {
    mailing = await startMailTestServer();
    ({ server, smtp } = mailing);
    tenant = await createTenant(server);
    const client = await createClient(server, tenant, { firstParty: true });
    config = await discoverClient(server, tenant.environmentId, client);
    environment = (await server.sump.services.environments.findById(tenant.environmentId)) as EnvironmentRow;
    brand = brandOfEnvironment(environment);
    expect(brand).not.toBe('');
  });
  afterAll(async () => {
    await mailing.close();
  });

  /** An app starts a sign-in with these parameters (openid-client); the browser lands on the login page. */
  async function loginPage(params: Record<string, string> = {}): Promise<{ browser: HttpBrowser; login: PageResponse }> {
    const start = await authorizationRequest(config, params);
    expect(start.url.searchParams.get('ui_locales')).toBe(params.ui_locales ?? null);
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    expect(login.status).toBe(200);
    expect(login.url).toMatch(new RegExp(`^${issuerOf(server, tenant.environmentId)}/interaction/[A-Za-z0-9_-]+$`));
    return { browser, login };
  }

  /** The mails to `address` so far, sent and read, but the verification mail its signup got. */
  async function mailsFor(address: string) {
    await server.sump.services.mail.deliverDue();
    return mailsTo(smtp.received, address)
      .map(readMail)
      .filter((mail) => !mail.text.includes('/verify-email?token='));
  }

  const htmlLang = (page: PageResponse) => findElement(page, 'html')?.getAttribute('lang');
  const heading = (page: PageResponse) => findElement(page, 'h1')?.textContent;

  it('shows the login page in Portuguese for ui_locales=pt-BR, with <html lang="pt">', async () => {
    const { login } = await loginPage({ ui_locales: 'pt-BR' });
    expect(login.body.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(htmlLang(login)).toBe('pt');
    expect(heading(login)).toBe('Entrar');
    expect(findElement(login, 'title')?.textContent).toContain('Entrar');
    expect(findElement(login, 'label[for=identifier]')?.textContent).toBe('Email ou nome de utilizador');
    expect(findElement(login, 'label[for=password]')?.textContent).toBe('Palavra-passe');
    expect(findElement(login, 'form button[type=submit]')?.textContent).toBe('Entrar');
    expect(findElement(login, 'a#forgot-password')?.textContent).toBe('Esqueceu-se da palavra-passe?');
    expect(pageText(login)).not.toContain('Sign in');
    // the form's fields do not change with the language
    expect(Object.keys(readForm(login).fields).sort()).toEqual(['csrf', 'identifier', 'password']);
  });

  it('is English by default, and for ui_locales naming only languages sump does not speak', async () => {
    const cases: Record<string, string>[] = [{}, { ui_locales: 'fr de' }, { ui_locales: 'en-GB pt' }];
    for (const params of cases) {
      const { login } = await loginPage(params);
      expect(htmlLang(login)).toBe('en');
      expect(heading(login)).toBe('Sign in');
      expect(findElement(login, 'label[for=password]')?.textContent).toBe('Password');
      expect(findElement(login, 'a#forgot-password')?.textContent).toBe('Forgot your password?');
    }
  });

  it('speaks the browser’s language (Accept-Language) when the app names none it speaks, and the app’s when it does', async () => {
    const portugueseBrowser = new HttpBrowser((url) => url.startsWith('http://localhost:7777/'), { 'accept-language': 'pt-PT,pt;q=0.9,en;q=0.5' });
    for (const [params, language] of [
      [{}, 'pt'],
      [{ ui_locales: 'fr' }, 'pt'],
      [{ ui_locales: 'en' }, 'en'],
    ] as const) {
      const start = await authorizationRequest(config, params);
      const login = await portugueseBrowser.follow(start.url.href);
      expect([JSON.stringify(params), htmlLang(login)]).toEqual([JSON.stringify(params), language]);
    }
    const frenchBrowser = new HttpBrowser(() => false, { 'accept-language': 'fr-FR,fr;q=0.9' });
    expect(htmlLang(await frenchBrowser.follow((await authorizationRequest(config)).url.href))).toBe('en');
  });

  it('says a form too large to read in the sign-in’s language (413), from ui_locales or the browser', async () => {
    const { browser, login } = await loginPage({ ui_locales: 'pt' });
    const huge = await browser.submit(login, { identifier: 'x'.repeat(100_000), password: 'whatever it is' });
    expect([huge.status, htmlLang(huge)]).toEqual([413, 'pt']);
    expect(pageText(huge)).toContain('O que foi enviado é demasiado grande.');

    const portugueseBrowser = new HttpBrowser(() => false, { 'accept-language': 'pt' });
    const page = await portugueseBrowser.follow((await authorizationRequest(config)).url.href);
    const refused = await portugueseBrowser.submit(page, { identifier: 'x'.repeat(100_000), password: 'whatever it is' });
    expect([refused.status, htmlLang(refused)]).toEqual([413, 'pt']);
  });

  it('takes the first language it speaks from ui_locales: "fr pt-BR" and "PT-pt" are Portuguese', async () => {
    for (const ui_locales of ['fr pt-BR', 'PT-pt', 'xx-invalid-! pt']) {
      const { login } = await loginPage({ ui_locales });
      expect(htmlLang(login)).toBe('pt');
      expect(heading(login)).toBe('Entrar');
    }
  });

  it('renders script in ui_locales and login_hint inert, and a malformed tag is English', async () => {
    const hint = '"><script>alert(1)</script>';
    for (const ui_locales of ['"><script>alert(1)</script>', 'pt"><img src=x onerror=alert(1)>']) {
      const { login } = await loginPage({ ui_locales, login_hint: hint });
      expect(htmlLang(login)).toBe('en');
      expect(heading(login)).toBe('Sign in');
      expect(login.body).not.toContain('<script');
      expect(login.body).not.toContain('<img src=x');
      expect(login.body).not.toContain(ui_locales);
      // the hint is shown as the field's value, as text, and nowhere as markup
      expect(login.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      expect(findElement(login, 'input#identifier')?.getAttribute('value')).toBe(hint);
      expect(parse(login.body).querySelectorAll('script, img')).toHaveLength(0);
    }
  });

  it('says a failed sign-in and an expired form in Portuguese', async () => {
    const user = await signupUser(server, tenant.environmentId);
    const { browser, login } = await loginPage({ ui_locales: 'pt' });
    const refused = await browser.submit(login, { identifier: user.email, password: 'not the password at all' });
    expect(refused.status).toBe(401);
    expect(htmlLang(refused)).toBe('pt');
    expect(findElement(refused, '#form-error')?.textContent).toBe(
      'O email, o nome de utilizador ou a palavra-passe não estão certos.',
    );
    const expired = await browser.submit(refused, { identifier: user.email, password: user.password, csrf: 'forged' });
    expect(expired.status).toBe(403);
    expect(htmlLang(expired)).toBe('pt');
    expect(heading(expired)).toBe('Tente novamente');
    expect(pageText(expired)).toContain('O formulário expirou.');
  });

  it('shows forgot password in Portuguese, mails the link in Portuguese, and its reset page and notice follow', async () => {
    const user = await signupUser(server, tenant.environmentId, { name: 'Ana <b>Sousa</b>' });
    const { browser, login } = await loginPage({ ui_locales: 'pt-BR' });
    const href = findElement(login, 'a#forgot-password')?.getAttribute('href') as string;
    const page = await browser.follow(new URL(href, login.url).href);
    expect(page.status).toBe(200);
    expect(htmlLang(page)).toBe('pt');
    expect(heading(page)).toBe('Redefinir a palavra-passe');
    expect(findElement(page, 'form button[type=submit]')?.textContent).toBe('Enviar o link');

    const empty = await browser.submit(page, { identifier: '' });
    expect(empty.status).toBe(400);
    expect(findElement(empty, '#identifier-error')?.textContent).toBe('Indique o seu endereço de email ou nome de utilizador.');

    const done = await browser.submit(page, { identifier: user.email });
    expect(done.status).toBe(200);
    expect(htmlLang(done)).toBe('pt');
    expect(heading(done)).toBe('Veja o seu email');
    expect(findElement(done, 'a#back-to-login')?.textContent).toBe('Voltar ao início de sessão');

    const [reset, ...others] = (await mailsFor(user.email)) as [ReturnType<typeof readMail>];
    expect(others).toHaveLength(0);
    expect(reset.subject).toBe(`Redefina a sua palavra-passe de ${brand}`);
    expect(reset.text).toContain('Olá Ana <b>Sousa</b>,');
    expect(reset.text).toContain('funciona uma vez, durante 1 hora');
    expect(reset.html).toContain('<html lang="pt">');
    expect(reset.html).toContain('Olá Ana &lt;b&gt;Sousa&lt;/b&gt;,');
    expect(reset.html).toContain('Escolher uma nova palavra-passe');
    expect(reset.text).not.toContain('Hello');
    const link = new URL(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+&lang=pt/.exec(reset.text)?.[0] as string);
    expect(`${link.origin}${link.pathname}`).toBe(`${server.url}/oidc/${tenant.environmentId}/reset-password`);

    // the page the link opens speaks the mail's language, and so does its form's answer
    const form = await browser.follow(link.href);
    expect(form.status).toBe(200);
    expect(htmlLang(form)).toBe('pt');
    expect(heading(form)).toBe('Definir a palavra-passe');
    expect(readForm(form).fields.lang).toBe('pt');
    const short = await browser.submit(form, { password: 'curta' });
    expect(short.status).toBe(400);
    expect(htmlLang(short)).toBe('pt');
    expect(findElement(short, '#form-error')?.textContent).toMatch(/^A palavra-passe tem de ter pelo menos \d+ caracteres\.$/);
    // this browser's sign-in still lives: the way back leads to its login step, still in Portuguese
    const set = await browser.submit(short, { password: NEW_PASSWORD });
    expect(set.status).toBe(200);
    expect(set.url).toBe(login.url);
    expect(htmlLang(set)).toBe('pt');
    expect(heading(set)).toBe('Entrar');

    const notice = (await mailsFor(user.email))[1] as ReturnType<typeof readMail>;
    expect(notice.subject).toBe(`A sua palavra-passe de ${brand} foi alterada`);
    expect(notice.text).toContain('acabou de ser alterada');

    // the used link says so in Portuguese
    const used = await browser.follow(link.href);
    expect(used.status).toBe(400);
    expect(htmlLang(used)).toBe('pt');
    expect(heading(used)).toBe('Este link não funciona');
  });

  it('keeps the forgot-password page and mail in English without ui_locales, with no lang in the link', async () => {
    const user = await signupUser(server, tenant.environmentId);
    const { browser, login } = await loginPage();
    const href = findElement(login, 'a#forgot-password')?.getAttribute('href') as string;
    const page = await browser.follow(new URL(href, login.url).href);
    expect(htmlLang(page)).toBe('en');
    expect(heading(page)).toBe('Reset your password');
    const done = await browser.submit(page, { identifier: user.username });
    expect(heading(done)).toBe('Check your email');

    const [mail, ...others] = (await mailsFor(user.email)) as [ReturnType<typeof readMail>];
    expect(others).toHaveLength(0);
    expect(mail.subject).toBe(`Reset your password for ${brand}`);
    expect(mail.text).toContain(`Hello ${user.name},`);
    expect(mail.text).toContain('it works once, for 1 hour)');
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.text).not.toContain('lang=');
  });

  it('shows the verify-email page of a link in the link\'s language', async () => {
    const user = await signupUser(server, tenant.environmentId);
    await server.sump.services.mail.deliverDue();
    const verification = mailsTo(smtp.received, user.email).map(readMail)[0] as ReturnType<typeof readMail>;
    // the JSON signup API has no ui_locales: its mail is English, its link carries no lang
    expect(verification.subject).toBe(`Verify your email address for ${brand}`);
    const link = new URL(/https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(verification.text)?.[0] as string);
    expect(link.searchParams.get('lang')).toBeNull();
    link.searchParams.set('lang', 'pt');
    const browser = newBrowser();
    const page = await browser.follow(link.href);
    expect(page.status).toBe(200);
    expect(htmlLang(page)).toBe('pt');
    expect(heading(page)).toBe('Confirmar o endereço de email');
    expect(findElement(page, 'button[name=confirm]')?.textContent).toBe('Confirmar o meu endereço de email');
    const done = await browser.submit(page, {}, { button: { name: 'confirm', value: 'yes' } });
    expect(done.status).toBe(200);
    expect(htmlLang(done)).toBe('pt');
    expect(heading(done)).toBe('Email confirmado');
  });

  it('shows the signup page in Portuguese, mails in Portuguese, and the link\'s pages and the way back follow', async () => {
    const { browser, login } = await loginPage({ ui_locales: 'pt-PT' });
    expect(findElement(login, 'a#signup')?.textContent).toBe('Criar uma conta');
    const href = findElement(login, 'a#signup')?.getAttribute('href') as string;
    const page = await browser.follow(new URL(href, login.url).href);
    expect(page.status).toBe(200);
    expect(htmlLang(page)).toBe('pt');
    expect(heading(page)).toBe('Criar a sua conta');
    expect(findElement(page, 'label[for=name]')?.textContent).toBe('Nome');
    expect(findElement(page, '#password-hint')?.textContent).toBe('Pelo menos 8 caracteres.');

    const empty = await browser.submit(page, { name: '', email: '', username: '', password: '' });
    expect(empty.status).toBe(400);
    expect(findElement(empty, '#name-error')?.textContent).toBe('O nome não é válido: use 3 a 100 caracteres.');
    expect(findElement(empty, '#email-error')?.textContent).toBe('Indique um endereço de email válido.');
    expect(findElement(empty, '#password-error')?.textContent).toBe('A palavra-passe tem de ter pelo menos 8 caracteres.');

    const id = Math.random().toString(36).slice(2, 10);
    const who = { name: 'Rui Costa', email: `rui-${id}@example.com`, username: `rui_${id}`, password: 'uma frase bem comprida' };
    const done = await browser.submit(page, who);
    expect(done.status).toBe(200);
    expect(heading(done)).toBe('Veja o seu email');
    expect(pageText(done)).toContain('Para terminar de criar a sua conta');

    await server.sump.services.mail.deliverDue();
    const [verification] = mailsTo(smtp.received, who.email).map(readMail) as [ReturnType<typeof readMail>];
    expect(verification.subject).toBe(`Confirme o seu endereço de email de ${brand}`);
    expect(verification.text).toContain('Olá Rui Costa,');
    expect(verification.text).toContain('durante 24 horas');
    const link = new URL(/https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+&lang=pt/.exec(verification.text)?.[0] as string);

    // opened in another browser: the page, and the "done" page the way back ends at, in Portuguese
    const elsewhere = newBrowser();
    const confirm = await elsewhere.follow(link.href);
    expect(htmlLang(confirm)).toBe('pt');
    const verified = await elsewhere.submit(confirm, {}, { button: { name: 'confirm', value: 'yes' } });
    expect(verified.status).toBe(200);
    expect(verified.url).toMatch(/\/resume\?r=[^&]+&lang=pt$/);
    expect(htmlLang(verified)).toBe('pt');
    expect(heading(verified)).toBe('Email confirmado');

    // a taken address gets its owner a notice, in the page's language too
    const again = await loginPage({ ui_locales: 'pt' });
    const signupHref = findElement(again.login, 'a#signup')?.getAttribute('href') as string;
    const signup = await again.browser.follow(new URL(signupHref, again.login.url).href);
    expect(heading(signup)).toBe('Criar a sua conta');
    const taken = await again.browser.submit(signup, { ...who, username: `outro_${id}` });
    expect(taken.status).toBe(200);
    expect(heading(taken)).toBe('Veja o seu email');
    await server.sump.services.mail.deliverDue();
    const notice = mailsTo(smtp.received, who.email).map(readMail)[1] as ReturnType<typeof readMail>;
    expect(notice.subject).toBe(`Alguém tentou criar uma conta em ${brand} com o seu endereço de email`);
    expect(notice.text).toContain('“Esqueceu-se da palavra-passe?”');
    expect(notice.html).toContain('<html lang="pt">');
  });

  it('names its languages in discovery', async () => {
    const answer = await fetch(`${issuerOf(server, tenant.environmentId)}/.well-known/openid-configuration`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { ui_locales_supported?: unknown }).ui_locales_supported).toEqual(['en', 'pt']);
  });

  it('asks for consent in Portuguese, naming the scopes in it and an unknown one as it is', async () => {
    const user = await signupUser(server, tenant.environmentId);
    const thirdParty = await createClient(server, tenant, { name: 'App <de> terceiros' });
    const thirdConfig = await discoverClient(server, tenant.environmentId, thirdParty);
    const start = await authorizationRequest(thirdConfig, { ui_locales: 'pt-BR', scope: 'openid email' });
    const browser = newBrowser();
    const login = await browser.follow(start.url.href);
    expect(htmlLang(login)).toBe('pt');
    expect(findElement(login, 'p.lead')?.textContent).toBe('para continuar em App <de> terceiros');
    const consent = await browser.submit(login, { identifier: user.email, password: user.password });
    expect(consent.status).toBe(200);
    expect(htmlLang(consent)).toBe('pt');
    expect(heading(consent)).toBe('Permitir acesso');
    expect(parse(consent.body).querySelectorAll('ul.scopes li').map((li) => li.textContent)).toEqual([
      'Iniciar a sua sessão',
      'Ver o seu endereço de email',
    ]);
    expect(findElement(consent, 'button[value=allow]')?.textContent).toBe('Permitir');
    expect(findElement(consent, 'button[value=deny]')?.textContent).toBe('Recusar');
  });

  it('shows oidc-provider\'s error and logout pages in the request\'s ui_locales', async () => {
    const client = await createClient(server, tenant, { postLogoutRedirectUris: ['http://localhost:7777/bye'] });
    const endSession = (params: Record<string, string>, browser = newBrowser()) => {
      const url = new URL(`${issuerOf(server, tenant.environmentId)}/session/end`);
      url.search = new URLSearchParams(params).toString();
      // as a browser asks: an error is a page for text/html, oidc-provider's JSON otherwise
      return browser.follow(url.href, { headers: { accept: 'text/html' } });
    };
    const refused = await endSession({ client_id: client.clientId, post_logout_redirect_uri: 'https://evil.example/', ui_locales: 'pt' });
    expect(refused.status).toBe(400);
    expect(htmlLang(refused)).toBe('pt');
    expect(heading(refused)).toBe('Algo correu mal');
    expect(findElement(refused, 'p.lead')?.textContent).toBe('Não foi possível concluir o pedido.');
    expect(findElement(refused, 'code')?.textContent).toBe('invalid_request');
    const english = await endSession({ client_id: client.clientId, post_logout_redirect_uri: 'https://evil.example/' });
    expect(htmlLang(english)).toBe('en');
    expect(findElement(english, 'p.lead')?.textContent).toContain('post_logout_redirect_uri not registered');

    // signed in, the browser is asked to confirm, in the language the logout request asks for
    const user = await signupUser(server, tenant.environmentId);
    const { browser, login } = await loginPage();
    const callback = await browser.submit(login, { identifier: user.email, password: user.password });
    expect(callback.url).toMatch(/^http:\/\/localhost:7777\/callback\?code=/);
    const confirm = await endSession({ client_id: client.clientId, ui_locales: 'pt-PT' }, browser);
    expect(confirm.status).toBe(200);
    expect(htmlLang(confirm)).toBe('pt');
    expect(heading(confirm)).toBe('Terminar sessão');
    expect(findElement(confirm, 'button[name=logout]')?.textContent).toBe('Terminar sessão');
  });

  it('takes a reset link\'s lang only from the languages sump speaks', async () => {
    const user = await signupUser(server, tenant.environmentId);
    await server.sump.services.passwordLinks.forgot(
      { kind: 'environment', environment },
      { identifier: user.email },
      { ipAddress: null, language: 'pt' },
    );
    const text = ((await mailsFor(user.email))[0] as ReturnType<typeof readMail>).text;
    const link = new URL(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+&lang=pt/.exec(text)?.[0] as string);
    for (const lang of ['"><script>alert(1)</script>', 'fr', 'PT ']) {
      link.searchParams.set('lang', lang);
      const page = await newBrowser().follow(link.href);
      expect(page.status).toBe(200);
      expect(htmlLang(page)).toBe('en');
      expect(heading(page)).toBe('Set your password');
      expect(page.body).not.toContain('<script');
      expect(readForm(page).fields.lang).toBeUndefined();
    }
  });
});
