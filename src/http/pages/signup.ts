import type { Context } from 'koa';
import type { z } from 'zod';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { isAppError } from '../../errors/app-error.js';
import { emailField, newPasswordField, personNameField, usernameField } from '../../services/account-fields.js';
import { resolveSettings } from '../../services/environment-settings.js';
import type { Services } from '../../services/index.js';
import { RateLimitedError } from '../../services/rate-limits.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import { PageError } from './interaction.js';
import { brandOf } from './page-context.js';
import type { Views } from './views.js';

type Interaction = Awaited<ReturnType<Issuer['provider']['interactionDetails']>>;
type Field = 'name' | 'email' | 'username' | 'password';
type FieldErrors = Partial<Record<Field, string>>;

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

const staleInteraction = () =>
  new PageError(400, 'This page is out of date', 'This sign-in page has expired. Go back to the app and start again.');
const notFound = () => new PageError(404, 'Not found', 'There is nothing at this address.');

const formField = (ctx: Context, name: string): string => {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
};

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
    const interaction = await issuer.provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== uid || interaction.prompt.name !== 'login') throw staleInteraction();
    return interaction;
  }

  const loginUrl = (issuer: Issuer, interaction: Interaction) => `${issuer.issuerPath}/interaction/${interaction.uid}`;

  function renderForm(
    ctx: Context,
    issuer: Issuer,
    interaction: Interaction,
    view: { values: Partial<Record<Field, string>>; fieldErrors?: FieldErrors; formError?: string; status?: number },
  ) {
    views.respond(
      ctx,
      'pages/signup.njk',
      {
        title: 'Create your account',
        brand: brandOf(issuer),
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
      if (!csrf.verify(ctx, formField(ctx, 'csrf'))) {
        throw new PageError(403, 'Please try again', 'The form expired. Go back, reload the page and try again.');
      }
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
          fieldErrors[field] = `The ${LABELS[field]} holds characters that cannot be used.`;
          continue;
        }
        const result = RULES[field].safeParse(raw[field]);
        if (result.success) parsed[field] = result.data;
        else fieldErrors[field] = `The ${LABELS[field]} ${result.error.issues[0]?.message ?? 'is not valid'}.`;
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
        });
      } catch (error) {
        if (error instanceof RateLimitedError) {
          ctx.set('Retry-After', String(error.retryAfterSeconds));
          renderForm(ctx, issuer, interaction, {
            values,
            formError: 'Too many attempts. Wait a few minutes and try again.',
            status: error.status,
          });
          return;
        }
        if (isAppError(error) && error.code === 'account.username_taken') {
          const taken = 'That username is taken. Choose another one.';
          renderForm(ctx, issuer, interaction, { values, fieldErrors: { username: taken }, status: 409 });
          return;
        }
        if (isAppError(error) && error.code === 'request.validation_failed') {
          const message = error.errors?.[0]?.message ?? 'is not valid';
          renderForm(ctx, issuer, interaction, { values, fieldErrors: { password: `The password ${message}.` }, status: 400 });
          return;
        }
        throw error;
      }
      // The same page, status and body whether the address is new or taken.
      views.respond(ctx, 'pages/check-email.njk', {
        title: 'Check your email',
        brand: brandOf(issuer),
        message:
          'To finish creating your account, open the link we have sent to the email address you gave. The link works for 24 hours.',
        loginUrl: loginUrl(issuer, interaction),
      });
    },
  };
}

export type SignupPage = ReturnType<typeof createSignupPage>;
