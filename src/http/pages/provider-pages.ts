import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { isUnstorableInputError } from '../../db/unstorable.js';
import type { ProviderPages } from '../../oidc/provider-config.js';
import { brandOf, issuerOf } from './page-context.js';
import type { Views } from './views.js';

/** Pulls the confirm action and xsrf value out of the form oidc-provider hands to logoutSource. */
function parseLogoutForm(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (!action || !xsrf) throw new Error('unexpected logout form from oidc-provider');
  return { action: action.replace(/&amp;/g, '&'), xsrf };
}

/** sump's pages in place of oidc-provider's built-in error, logout and signed-out pages. */
export function createProviderPages(views: Views): ProviderPages {
  return {
    async renderError(ctx, out, error) {
      if (isDatabaseUnavailable(error)) {
        ctx.set('Retry-After', '5');
        views.respond(
          ctx,
          'pages/error.njk',
          { title: 'Temporarily unavailable', message: 'We cannot answer right now. Try again in a moment.' },
          503,
        );
        return;
      }
      if (isUnstorableInputError(error)) {
        views.respond(
          ctx,
          'pages/error.njk',
          { title: 'Something went wrong', brand: brandOf(issuerOf(ctx)), message: 'The request holds characters that cannot be used.', code: 'invalid_request' },
          400,
        );
        return;
      }
      const status = ctx.status >= 400 ? ctx.status : 400;
      views.respond(
        ctx,
        'pages/error.njk',
        {
          title: 'Something went wrong',
          brand: brandOf(issuerOf(ctx)),
          message: out.error_description ?? 'The request could not be completed.',
          code: out.error,
        },
        status,
      );
    },
    async logoutSource(ctx, form) {
      const { action, xsrf } = parseLogoutForm(form);
      views.respond(ctx, 'pages/logout.njk', {
        title: 'Sign out',
        brand: brandOf(issuerOf(ctx)),
        clientName: ctx.oidc.client?.clientName,
        action,
        xsrf,
      });
    },
    async postLogoutSuccessSource(ctx) {
      views.respond(ctx, 'pages/message.njk', {
        title: 'You are signed out',
        brand: brandOf(issuerOf(ctx)),
        message: 'You have signed out. You can close this window or go back to the app.',
      });
    },
  };
}
