import type { Context } from 'koa';
import { isAppError } from '../../errors/app-error.js';
import { newPasswordField } from '../../services/account-fields.js';
import { resolveSettings } from '../../services/environment-settings.js';
import type { PasswordPlace } from '../../services/password-links.js';
import type { Services } from '../../services/index.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import { PageError } from './interaction.js';
import type { LinkOutcome } from './resume.js';
import type { Views } from './views.js';

/** Where a reset page is and how it shows: the place its tokens belong to, the path, the brand. */
export interface ResetPageTarget {
  readonly place: PasswordPlace;
  /** The page's own path (the form posts back to it; the token travels in a hidden field). */
  readonly action: string;
  readonly brand: string | undefined;
  /** Where to send the browser after a link asked from a sign-in (interaction `uid`) was used. */
  readonly resumeUrl?: (uid: string, outcome: LinkOutcome) => string;
}

const invalidLink = () =>
  new PageError(400, 'This link does not work', 'This link has expired or was used already. Ask for a new one.');

const formField = (ctx: Context, name: string): string => {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
};

/**
 * The reset (and set-password) page opened from a mail. GET shows the form and uses nothing up
 * (mail scanners fetch links); only the POST that sets the password uses the token.
 */
export function createResetPasswordPage(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  function renderForm(ctx: Context, target: ResetPageTarget, token: string, error?: string, status = 200) {
    const minLength =
      target.place.kind === 'environment' ? resolveSettings(target.place.environment.settings).passwordPolicy.minLength : undefined;
    views.respond(
      ctx,
      'pages/reset-password.njk',
      { title: 'Set your password', brand: target.brand, action: target.action, csrfToken: csrf.token(ctx), token, minLength, error },
      status,
    );
  }

  return {
    async show(ctx: Context, target: ResetPageTarget): Promise<void> {
      const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
      if (!(await services.passwordLinks.isLive(target.place, token))) throw invalidLink();
      renderForm(ctx, target, token);
    },

    async submit(ctx: Context, target: ResetPageTarget): Promise<void> {
      if (!csrf.verify(ctx, formField(ctx, 'csrf'))) {
        throw new PageError(403, 'Please try again', 'The form expired. Go back, reload the page and try again.');
      }
      const token = formField(ctx, 'token');
      const password = formField(ctx, 'password');
      const checked = newPasswordField.safeParse(password);
      if (!checked.success) {
        if (!(await services.passwordLinks.isLive(target.place, token))) throw invalidLink();
        renderForm(ctx, target, token, `The password ${checked.error.issues[0]?.message ?? 'is not valid'}.`, 400);
        return;
      }
      let used;
      try {
        used = await services.passwordLinks.reset(target.place, token, password, requestMeta(ctx));
      } catch (error) {
        if (isAppError(error) && error.code === 'auth.invalid_token') throw invalidLink();
        if (isAppError(error) && error.code === 'request.validation_failed') {
          renderForm(ctx, target, token, `The password ${error.errors?.[0]?.message ?? 'is not valid'}.`, 400);
          return;
        }
        throw error;
      }
      // A link asked from a sign-in sends the browser back to its login step, when that sign-in
      // still lives in this browser (the resume step decides); otherwise the page says it is done.
      if (used.interactionUid && target.resumeUrl) {
        ctx.status = 303;
        ctx.redirect(target.resumeUrl(used.interactionUid, { kind: 'reset' }));
        return;
      }
      views.respond(ctx, 'pages/message.njk', {
        title: 'Password set',
        brand: target.brand,
        message: 'Your password is set. Go back to the app and sign in with it.',
      });
    },
  };
}

export type ResetPasswordPage = ReturnType<typeof createResetPasswordPage>;
