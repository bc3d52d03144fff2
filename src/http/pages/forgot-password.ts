import type { Context } from 'koa';
import type { MessageKey, Text } from '../../i18n/index.js';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { emailField, usernameField } from '../../services/account-fields.js';
import type { Services } from '../../services/index.js';
import { RateLimitedError } from '../../services/rate-limits.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import { languageOf, type Views } from './views.js';
import { formField, type Interaction, interactionPath, loadInteraction, requireCsrf } from './page-forms.js';


/** An email is at most 320 characters; anything longer matches nobody. */
const IDENTIFIER_MAX_LENGTH = 320;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * What is wrong with an identifier, from its shape alone (never from whether an account has
 * it): empty, too long, characters no account can hold, neither an email nor a username. The
 * hosted pages' one rule decides which it is: an email when it contains "@".
 */
export function identifierProblem(identifier: string): Text | undefined {
  const value = identifier.trim();
  if (value === '') return 'identifier.empty';
  if ([...value].length > IDENTIFIER_MAX_LENGTH) return { key: 'identifier.too_long', params: { max: IDENTIFIER_MAX_LENGTH } };
  if (CONTROL_CHARACTERS.test(value)) return 'identifier.unusable_characters';
  const field = value.includes('@') ? emailField : usernameField;
  if (!field.safeParse(value).success) return 'identifier.invalid';
  return undefined;
}

/**
 * The hosted forgot-password step of a sign-in, at …/interaction/:uid/forgot-password: GET shows
 * the form, POST mails a reset link to the account the identifier names, if there is one, and
 * always answers the same "check your email" page.
 */
export function createForgotPasswordPage(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  /** The interaction of this browser at the login step; anything else is the out-of-date page. */
  const load = (ctx: Context, issuer: Issuer, uid: string) => loadInteraction(ctx, issuer, uid, 'login');
  const loginUrl = (issuer: Issuer, interaction: Interaction) => interactionPath(issuer, interaction.uid);

  function renderForm(
    ctx: Context,
    issuer: Issuer,
    interaction: Interaction,
    view: { identifier: string; fieldError?: Text; formError?: MessageKey; status?: number },
  ) {
    views.respond(
      ctx,
      'pages/forgot-password.njk',
      {
        title: 'forgot.title',
        identifier: view.identifier,
        fieldError: view.fieldError,
        formError: view.formError,
        csrfToken: csrf.token(ctx),
        action: `${loginUrl(issuer, interaction)}/forgot-password`,
        loginUrl: loginUrl(issuer, interaction),
      },
      view.status ?? 200,
    );
  }

  return {
    /** GET …/interaction/:uid/forgot-password */
    async show(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      renderForm(ctx, issuer, interaction, { identifier: '' });
    },

    /** POST …/interaction/:uid/forgot-password — `identifier` (email or username). */
    async submit(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      requireCsrf(ctx, csrf);
      const identifier = formField(ctx, 'identifier');
      const problem = identifierProblem(identifier);
      if (problem) {
        // Shown again only when it can be shown as it is (autoescaped, like every value).
        const shown = [...identifier].length <= IDENTIFIER_MAX_LENGTH && !CONTROL_CHARACTERS.test(identifier) ? identifier : '';
        renderForm(ctx, issuer, interaction, { identifier: shown, fieldError: problem, status: 400 });
        return;
      }
      try {
        // The link remembers this interaction: the reset page sends the browser back to its
        // login step when this sign-in still lives in that browser.
        await services.passwordLinks.forgot(
          { kind: 'environment', environment: issuer.environment },
          { identifier },
          { ...requestMeta(ctx), language: languageOf(ctx) },
          { interactionUid: interaction.uid },
        );
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        renderForm(ctx, issuer, interaction, {
          identifier: identifier.trim(),
          formError: 'common.too_many_attempts',
          status: error.status,
        });
        return;
      }
      // The same page, status and body whether or not an account has this identifier.
      views.respond(ctx, 'pages/check-email.njk', {
        title: 'forgot.check_email.title',
        message: 'forgot.check_email.message',
        loginUrl: loginUrl(issuer, interaction),
      });
    },
  };
}

export type ForgotPasswordPage = ReturnType<typeof createForgotPasswordPage>;
