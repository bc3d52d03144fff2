import { describe, expect, it } from '@jest/globals';
import { en } from '../../src/i18n/en.js';
import { pt } from '../../src/i18n/pt.js';
import { pickLanguage, translate, translateText, type MessageKey } from '../../src/i18n/index.js';
import { createMailTemplates, type MailTemplate } from '../../src/services/mail-templates.js';

const paramsOf = (text: string) => [...text.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]).sort();

describe('pickLanguage', () => {
  it('takes the first tag of ui_locales whose language sump speaks, in any case and region', () => {
    expect(pickLanguage('pt')).toBe('pt');
    expect(pickLanguage('pt-BR')).toBe('pt');
    expect(pickLanguage('PT-pt')).toBe('pt');
    expect(pickLanguage('fr pt-BR en')).toBe('pt');
    expect(pickLanguage('  fr\tde  pt  ')).toBe('pt');
    expect(pickLanguage('en-GB pt')).toBe('en');
    expect(pickLanguage('zh-Hant-TW pt')).toBe('pt');
  });

  it('is English for no, unsupported or malformed ui_locales', () => {
    for (const value of [undefined, null, '', '   ', 'fr de', 'ptx', 'p', 'pt_BR', 'portuguese', 42, ['pt'], { pt: true }]) {
      expect(pickLanguage(value)).toBe('en');
    }
    expect(pickLanguage('"><script>alert(1)</script>')).toBe('en');
    expect(pickLanguage('pt"><img src=x onerror=alert(1)>')).toBe('en');
    // a malformed tag is skipped, a well-formed one after it still counts
    expect(pickLanguage('pt"> pt-BR')).toBe('pt');
  });

  it('reads only the first 16 tags', () => {
    expect(pickLanguage(`${'fr '.repeat(16)}pt`)).toBe('en');
    expect(pickLanguage(`${'fr '.repeat(15)}pt`)).toBe('pt');
  });
});

describe('translate', () => {
  it('fills named parameters once, leaving unknown ones and what a value holds as they are', () => {
    expect(translate('en', 'mail.greeting', { name: 'Ana' })).toBe('Hello Ana,');
    expect(translate('pt', 'mail.greeting', { name: 'Ana' })).toBe('Olá Ana,');
    expect(translate('en', 'mail.greeting', { name: '{brand}' })).toBe('Hello {brand},');
    expect(translate('en', 'mail.greeting')).toBe('Hello {name},');
    expect(translate('pt', 'identifier.too_long', { max: 320 })).toBe('É demasiado longo: no máximo 320 caracteres.');
  });

  it('shows a key, a key with parameters, given text, and a plain string as it is', () => {
    expect(translateText('pt', 'login.title')).toBe('Entrar');
    expect(translateText('pt', { key: 'identifier.too_long', params: { max: 3 } })).toBe('É demasiado longo: no máximo 3 caracteres.');
    expect(translateText('pt', { text: 'login.title' })).toBe('login.title');
    expect(translateText('pt', 'Not a key')).toBe('Not a key');
    expect(translateText('en', undefined)).toBe('');
    // a key of Object.prototype is no key
    expect(translateText('en', 'toString')).toBe('toString');
  });
});

describe('catalogues', () => {
  const keys = Object.keys(en) as MessageKey[];

  it('Portuguese has every English key and no other, none empty, with the same parameters', () => {
    expect(Object.keys(pt).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect([key, pt[key].trim()]).not.toEqual([key, '']);
      expect([key, en[key].trim()]).not.toEqual([key, '']);
      expect([key, paramsOf(pt[key])]).toEqual([key, paramsOf(en[key])]);
    }
  });

  it('holds no markup: texts are escaped where they are shown, so markup would show as text', () => {
    for (const text of [...Object.values(en), ...Object.values(pt)]) expect(text).not.toMatch(/[<>]/);
  });
});

describe('mail templates', () => {
  const templates = createMailTemplates();
  const model = { brand: 'Acme & Co', name: 'Ana <Sousa>', link: 'https://id.example.com/x?token=abc&lang=pt', validHours: 24 };
  const all: MailTemplate[] = ['reset-password', 'set-password', 'password-changed', 'verify-email', 'email-changed', 'signup-attempt'];

  it('writes each mail in English by default, as before the catalogues', () => {
    const mail = templates.render('reset-password', { ...model, validHours: 1 });
    expect(mail.subject).toBe('Reset your password for Acme & Co');
    expect(mail.text).toBe(
      'Hello Ana <Sousa>,\n\nSomeone asked to reset the password of your Acme & Co account. To choose a new password, open this link (it works once, for 1 hour):\n\nhttps://id.example.com/x?token=abc&lang=pt\n\nIf it was not you, ignore this mail: your password stays as it is.\n',
    );
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain('<p>Hello Ana &lt;Sousa&gt;,</p>');
    expect(mail.html).toContain('<a href="https://id.example.com/x?token=abc&amp;lang=pt">Choose a new password</a>');
    const changed = templates.render('email-changed', { ...model, contact: 'tenant' });
    expect(changed.text).toContain('contact an owner or administrator of Acme & Co right away.');
  });

  it('writes each mail in Portuguese when asked, subject included, escaped in HTML only', () => {
    for (const template of all) {
      const mail = templates.render(template, { ...model, contact: 'environment', language: 'pt' });
      expect(mail.text).toContain('Olá Ana <Sousa>,');
      expect(mail.html).toContain('<html lang="pt">');
      expect(mail.html).toContain('Olá Ana &lt;Sousa&gt;,');
      expect(mail.html).not.toContain('<Sousa>');
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(/Hello|your|account/);
    }
    expect(templates.render('verify-email', { ...model, language: 'pt' }).subject).toBe('Confirme o seu endereço de email de Acme & Co');
    expect(templates.render('verify-email', { ...model, language: 'pt' }).text).toContain('durante 24 horas');
    expect(templates.render('email-changed', { ...model, contact: 'environment', language: 'pt' }).text).toContain(
      'contacte a equipa que gere Acme & Co imediatamente.',
    );
  });
});
