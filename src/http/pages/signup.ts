import type { Context } from 'koa';
import type { z } from 'zod';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { isAppError } from '../../errors/app-error.js';
import type { Language, MessageKey, Text } from '../../i18n/index.js';
import { emailField, newPasswordField, newPasswordFieldOf, personNameField, usernameField } from '../../services/account-fields.js';
import { resolveSettings } from '../../services/environment-settings.js';
import type { Services } from '../../services/index.js';
import { RateLimitedError } from '../../services/rate-limits.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import { passwordProblem } from './reset-password.js';
import { languageOf, type Views } from './views.js';
import { formField, type Interaction, interactionPath, loadInteraction, PageError, requireCsrf } from './page-forms.js';

type Field = 'name' | 'email' | 'username' | 'password';
type FieldErrors = Partial<Record<Field, Text>>;

/** A value longer than this, or holding control characters, is not shown back in the form. */
const SHOWN_MAX_LENGTH = 320;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const LABELS: Readonly<Record<Field, string>> = { name: 'name', email: 'email address', username: 'username', password: 'password' };
const RULES: Readonly<Record<Field, z.ZodType<string>>> = {
  name: personNameField,
  email: emailField,
  username: usernameField,
  password: newPasswordField,
};

const notFound = () => new PageError(404, 'error.not_found.title', 'error.not_found.message');

/**
 * What a field's rule said, as the page says it: in English the rule's own words (account-fields),
 * in another language the catalogue's sentence for the field; the password's as the reset page's.
 */
function fieldProblem(language: Language, field: Field, rule: string | undefined): Text {
  if (field === 'password') return passwordProblem(rule);
  if (language === 'en') return { text: `The ${LABELS[field]} ${rule ?? 'is not valid'}.` };
  return `signup.${field}.invalid` satisfies MessageKey;
}

const shown = (value: string) => ([...value].length <= SHOWN_MAX_LENGTH && !CONTROL_CHARACTERS.test(value) ? value : '');

/**
 * The hosted signup step of a sign-in, at …/interaction/:uid/signup (only where
 * `settings.signup.enabled`; elsewhere a 404 page). It proves the address every time: for a new
 * and for a taken email it answers the same "check your email" page; the verification link it
 * mails to a new address brings the browser back into this sign-in (see resume.ts), and the owner
 * of a taken one gets a notice instead. A taken username is shown as taken.
 */
export function createSignupPage(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  /** This browser's interaction at its login step, in an environment whose signup page is on. */
  async function load(ctx: Context, issuer: Issuer, uid: string): Promise<Interaction> {
    if (!services.pageSignup.isOpen(issuer.environment)) throw notFound();
    return loadInteraction(ctx, issuer, uid, 'login');
  }

  const loginUrl = (issuer: Issuer, interaction: Interaction) => interactionPath(issuer, interaction.uid);

  function renderForm(
    ctx: Context,
    issuer: Issuer,
    interaction: Interaction,
    view: { values: Partial<Record<Field, string>>; fieldErrors?: FieldErrors; formError?: MessageKey; status?: number },
  ) {
    views.respond(
      ctx,
      'pages/signup.njk',
      {
        title: 'signup.title',
        name: view.values.name ?? '',
        email: view.values.email ?? '',
        username: view.values.username ?? '',
        minLength: resolveSettings(issuer.environment.settings).passwordPolicy.minLength,
        fieldErrors: view.fieldErrors ?? {},
        formError: view.formError,
        csrfToken: csrf.token(ctx),
        action: `${loginUrl(issuer, interaction)}/signup`,
        loginUrl: loginUrl(issuer, interaction),
      },
      view.status ?? 200,
    );
  }

  return {
    /** GET …/interaction/:uid/signup */
    async show(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      renderForm(ctx, issuer, interaction, { values: {} });
    },

    /** POST …/interaction/:uid/signup — `name`, `email`, `username`, `password`. */
    async submit(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      requireCsrf(ctx, csrf);
      const raw = {
        name: formField(ctx, 'name'),
        email: formField(ctx, 'email'),
        username: formField(ctx, 'username'),
        password: formField(ctx, 'password'),
      };
      const values = { name: shown(raw.name.trim()), email: shown(raw.email.trim()), username: shown(raw.username.trim()) };
      const fieldErrors: FieldErrors = {};
      const parsed: Partial<Record<Field, string>> = {};
      for (const field of Object.keys(RULES) as Field[]) {
        if (field !== 'password' && CONTROL_CHARACTERS.test(raw[field])) {
          fieldErrors[field] = `signup.${field}.unusable_characters` satisfies MessageKey;
          continue;
        }
        // The password by the environment's own minimum, so the message names it.
        const rule = field === 'password' ? newPasswordFieldOf(resolveSettings(issuer.environment.settings).passwordPolicy.minLength) : RULES[field];
        const result = rule.safeParse(raw[field]);
        if (result.success) parsed[field] = result.data;
        else fieldErrors[field] = fieldProblem(languageOf(ctx), field, result.error.issues[0]?.message);
      }
      if (Object.keys(fieldErrors).length > 0) {
        renderForm(ctx, issuer, interaction, { values, fieldErrors, status: 400 });
        return;
      }
      try {
        await services.pageSignup.signup({
          environment: issuer.environment,
          account: parsed as Record<Field, string>,
          interactionUid: interaction.uid,
          meta: requestMeta(ctx),
          language: languageOf(ctx),
        });
      } catch (error) {
        if (error instanceof RateLimitedError) {
          ctx.set('Retry-After', String(error.retryAfterSeconds));
          renderForm(ctx, issuer, interaction, {
            values,
            formError: 'common.too_many_attempts',
            status: error.status,
          });
          return;
        }
        if (isAppError(error) && error.code === 'account.username_taken') {
          renderForm(ctx, issuer, interaction, { values, fieldErrors: { username: 'signup.username_taken' }, status: 409 });
          return;
        }
        if (isAppError(error) && error.code === 'request.validation_failed') {
          const password = passwordProblem(error.errors?.[0]?.message);
          renderForm(ctx, issuer, interaction, { values, fieldErrors: { password }, status: 400 });
          return;
        }
        throw error;
      }
      // The same page, status and body whether the address is new or taken.
      views.respond(ctx, 'pages/check-email.njk', {
        title: 'forgot.check_email.title',
        message: 'signup.check_email.message',
        loginUrl: loginUrl(issuer, interaction),
      });
    },
  };
}

export type SignupPage = ReturnType<typeof createSignupPage>;
