import type { Context } from 'koa';
import { isAppError } from '../../errors/app-error.js';
import type { VerificationPlace } from '../../services/email-verification.js';
import type { Services } from '../../services/index.js';
import { languageParam } from '../../services/password-links.js';
import { requestMeta } from '../api/params.js';
import type { Csrf } from '../middleware/csrf.js';
import type { LinkOutcome } from './resume.js';
import { languageOf, useLinkLanguage, type Views } from './views.js';
import { formField, invalidLink, requireCsrf } from './page-forms.js';

/** Where a verify page is and how it shows: the place its tokens belong to, the path, the brand. */
export interface VerifyPageTarget {
  readonly place: VerificationPlace;
  /** The page's own path (the form posts back to it; the token travels in a hidden field). */
  readonly action: string;
  readonly brand: string | undefined;
  /** Where to send the browser after a link asked from a sign-in (interaction `uid`) was used. */
  readonly resumeUrl?: (uid: string, outcome: LinkOutcome) => string;
}

/**
 * The verify-email page opened from a mail. GET only asks to confirm and changes nothing: mail
 * scanners fetch links, and a GET that verified would let an attacker have a victim's scanner
 * verify an address for the attacker's account. The POST of the confirm button verifies.
 */
export function createVerifyEmailPage(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  return {
    async show(ctx: Context, target: VerifyPageTarget): Promise<void> {
      const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
      useLinkLanguage(ctx, ctx.query.lang);
      if (!(await services.emailVerification.isLive(target.place, token))) throw invalidLink();
      views.respond(ctx, 'pages/verify-email.njk', {
        title: 'verify.title',
        brand: target.brand,
        action: target.action,
        csrfToken: csrf.token(ctx),
        token,
      });
    },

    async submit(ctx: Context, target: VerifyPageTarget): Promise<void> {
      useLinkLanguage(ctx, formField(ctx, 'lang'));
      requireCsrf(ctx, csrf);
      let used;
      try {
        used = await services.emailVerification.verify(target.place, formField(ctx, 'token'), requestMeta(ctx));
      } catch (error) {
        if (isAppError(error) && error.code === 'auth.invalid_token') throw invalidLink();
        throw error;
      }
      // A link asked from a sign-in sends the browser back to it; that step decides whether it
      // resumes (only in the browser of that sign-in, while it lives) or says it is done.
      if (used.interactionUid && target.resumeUrl) {
        ctx.status = 303;
        ctx.redirect(`${target.resumeUrl(used.interactionUid, { kind: 'verified', accountId: used.accountId })}${languageParam(languageOf(ctx))}`);
        return;
      }
      views.respond(ctx, 'pages/message.njk', {
        title: 'verify.done.title',
        brand: target.brand,
        message: 'verify.done.message',
      });
    },
  };
}

export type VerifyEmailPage = ReturnType<typeof createVerifyEmailPage>;
