import type { Context } from 'koa';
import { isAppError } from '../../errors/app-error.js';
import type { Text } from '../../i18n/index.js';
import { newPasswordField, newPasswordFieldOf } from '../../services/account-fields.js';
import { resolveSettings } from '../../services/environment-settings.js';
import type { PasswordPlace } from '../../services/password-links.js';
import type { Services } from '../../services/index.js';
import { languageParam } from '../../services/password-links.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import type { LinkOutcome } from './resume.js';
import { languageOf, useLinkLanguage, type Views } from './views.js';
import { formField, invalidLink, requireCsrf } from './page-forms.js';

/** Where a reset page is and how it shows: the place its tokens belong to, the path, the brand. */
export interface ResetPageTarget {
  readonly place: PasswordPlace;
  /** The page's own path (the form posts back to it; the token travels in a hidden field). */
  readonly action: string;
  readonly brand: string | undefined;
  /** Where to send the browser after a link asked from a sign-in (interaction `uid`) was used. */
  readonly resumeUrl?: (uid: string, outcome: LinkOutcome) => string;
}

/** What the password rules said (account-fields, the environment's policy), as the page says it. */
export function passwordProblem(rule: string | undefined): Text {
  const match = /^must be at (least|most) (\d+) (characters|bytes)$/.exec(rule ?? '');
  if (!match) return 'password.invalid';
  const count = Number(match[2]);
  if (match[1] === 'least') return { key: 'password.too_short', params: { count } };
  return { key: match[3] === 'bytes' ? 'password.too_long_bytes' : 'password.too_long', params: { count } };
}

/**
 * The reset (and set-password) page opened from a mail. GET shows the form and uses nothing up
 * (mail scanners fetch links); only the POST that sets the password uses the token.
 */
export function createResetPasswordPage(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  function renderForm(ctx: Context, target: ResetPageTarget, token: string, error?: Text, status = 200) {
    const minLength =
      target.place.kind === 'environment' ? resolveSettings(target.place.environment.settings).passwordPolicy.minLength : undefined;
    views.respond(
      ctx,
      'pages/reset-password.njk',
      { title: 'reset.title', brand: target.brand, action: target.action, csrfToken: csrf.token(ctx), token, minLength, error },
      status,
    );
  }

  return {
    async show(ctx: Context, target: ResetPageTarget): Promise<void> {
      const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
      useLinkLanguage(ctx, ctx.query.lang);
      if (!(await services.passwordLinks.isLive(target.place, token))) throw invalidLink();
      renderForm(ctx, target, token);
    },

    async submit(ctx: Context, target: ResetPageTarget): Promise<void> {
      useLinkLanguage(ctx, formField(ctx, 'lang'));
      requireCsrf(ctx, csrf);
      const token = formField(ctx, 'token');
      const password = formField(ctx, 'password');
      const minLength =
        target.place.kind === 'environment' ? resolveSettings(target.place.environment.settings).passwordPolicy.minLength : undefined;
      // By the environment's own minimum, so the message names it.
      const checked = (minLength === undefined ? newPasswordField : newPasswordFieldOf(minLength)).safeParse(password);
      if (!checked.success) {
        if (!(await services.passwordLinks.isLive(target.place, token))) throw invalidLink();
        renderForm(ctx, target, token, passwordProblem(checked.error.issues[0]?.message), 400);
        return;
      }
      let used;
      try {
        used = await services.passwordLinks.reset(target.place, token, password, { ...requestMeta(ctx), language: languageOf(ctx) });
      } catch (error) {
        if (isAppError(error) && error.code === 'auth.invalid_token') throw invalidLink();
        if (isAppError(error) && error.code === 'request.validation_failed') {
          renderForm(ctx, target, token, passwordProblem(error.errors?.[0]?.message), 400);
          return;
        }
        throw error;
      }
      // A link asked from a sign-in sends the browser back to its login step, when that sign-in
      // still lives in this browser (the resume step decides); otherwise the page says it is done.
      if (used.interactionUid && target.resumeUrl) {
        ctx.status = 303;
        ctx.redirect(`${target.resumeUrl(used.interactionUid, { kind: 'reset' })}${languageParam(languageOf(ctx))}`);
        return;
      }
      views.respond(ctx, 'pages/message.njk', {
        title: 'reset.done.title',
        brand: target.brand,
        message: 'reset.done.message',
      });
    },
  };
}

export type ResetPasswordPage = ReturnType<typeof createResetPasswordPage>;
