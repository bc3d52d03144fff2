import nunjucks from 'nunjucks';
import { DEFAULT_LANGUAGE, translate, translateText, type Language, type MessageKey } from '../i18n/index.js';
import { viewsDir } from '../paths.js';

export type MailTemplate =
  | 'reset-password'
  | 'set-password'
  | 'password-changed'
  | 'verify-email'
  | 'email-changed'
  | 'signup-attempt';

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Each mail's subject in the catalogues (src/i18n); `{brand}` is filled in. */
const SUBJECTS: Readonly<Record<MailTemplate, MessageKey>> = {
  'reset-password': 'mail.reset_password.subject',
  'set-password': 'mail.set_password.subject',
  'password-changed': 'mail.password_changed.subject',
  'verify-email': 'mail.verify_email.subject',
  'email-changed': 'mail.email_changed.subject',
  'signup-attempt': 'mail.signup_attempt.subject',
};

/** Whom a person whose address was changed should turn to, by who runs the account's place. */
const CONTACTS = {
  tenant: 'mail.email_changed.contact_tenant',
  environment: 'mail.email_changed.contact_environment',
} as const satisfies Record<string, MessageKey>;

export interface MailModel {
  /** Who the mail is from, as people know it: the environment's display name or the tenant's name. */
  readonly brand: string;
  readonly name: string;
  /** The link, built from PUBLIC_URL only. */
  readonly link?: string;
  readonly validHours?: number;
  /** Whom to turn to when a change was not the person's own (the email-changed notice). */
  readonly contact?: keyof typeof CONTACTS;
  /** The language of the request that caused the mail; English when none. */
  readonly language?: Language;
}

export interface MailTemplates {
  render(template: MailTemplate, model: MailModel): RenderedMail;
}

/**
 * The mails in views/mails/: `<name>.txt.njk` (plain text, not escaped) and `<name>.html.njk`
 * (autoescaped, like the pages). Their words come from the catalogues: `t(key, params)`, as on
 * the pages; `duration` is the link's lifetime in words ("1 hour", "24 hours").
 */
export function createMailTemplates(dir = viewsDir): MailTemplates {
  const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
  const html = new nunjucks.Environment(loader(), { autoescape: true });
  const text = new nunjucks.Environment(loader(), { autoescape: false });
  return {
    render(template, model) {
      const lang = model.language ?? DEFAULT_LANGUAGE;
      const hours = model.validHours;
      const view = {
        ...model,
        lang,
        t: (key: unknown, params?: Record<string, string | number>) => translateText(lang, key, params),
        duration: hours === undefined ? undefined : translate(lang, hours === 1 ? 'mail.hours.one' : 'mail.hours.other', { count: hours }),
        contact: model.contact === undefined ? undefined : translate(lang, CONTACTS[model.contact], { brand: model.brand }),
      };
      return {
        subject: translate(lang, SUBJECTS[template], { brand: model.brand }),
        text: text.render(`mails/${template}.txt.njk`, view),
        html: html.render(`mails/${template}.html.njk`, view),
      };
    },
  };
}
