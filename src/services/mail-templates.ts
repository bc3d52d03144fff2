import nunjucks from 'nunjucks';
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

const SUBJECTS: Readonly<Record<MailTemplate, (model: MailModel) => string>> = {
  'reset-password': (model) => `Reset your password for ${model.brand}`,
  'set-password': (model) => `Set your password for ${model.brand}`,
  'password-changed': (model) => `Your password for ${model.brand} was changed`,
  'verify-email': (model) => `Verify your email address for ${model.brand}`,
  'email-changed': (model) => `The email address of your ${model.brand} account was changed`,
  'signup-attempt': (model) => `Someone tried to sign up for ${model.brand} with your email address`,
};

export interface MailModel {
  /** Who the mail is from, as people know it: the environment's display name or the tenant's name. */
  readonly brand: string;
  readonly name: string;
  /** The link, built from PUBLIC_URL only. */
  readonly link?: string;
  readonly validHours?: number;
  /** Whom to turn to when a change was not the person's own (the email-changed notice). */
  readonly contact?: string;
}

export interface MailTemplates {
  render(template: MailTemplate, model: MailModel): RenderedMail;
}

/**
 * The mails in views/mails/: `<name>.txt.njk` (plain text, not escaped) and `<name>.html.njk`
 * (autoescaped, like the pages).
 */
export function createMailTemplates(dir = viewsDir): MailTemplates {
  const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
  const html = new nunjucks.Environment(loader(), { autoescape: true });
  const text = new nunjucks.Environment(loader(), { autoescape: false });
  return {
    render(template, model) {
      return {
        subject: SUBJECTS[template](model),
        text: text.render(`mails/${template}.txt.njk`, model),
        html: html.render(`mails/${template}.html.njk`, model),
      };
    },
  };
}
