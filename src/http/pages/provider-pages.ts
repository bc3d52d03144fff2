import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { isUnstorableInputError } from '../../db/unstorable.js';
import type { ProviderPages } from '../../oidc/provider-config.js';
import { useUiLocales, type Views } from './views.js';
import { createDeviceProviderPages } from './device.js';
import { parseProviderForm } from './page-forms.js';

/** sump's pages in place of oidc-provider's built-in error, logout and signed-out pages. */
export function createProviderPages(views: Views): ProviderPages {
  return {
    ...createDeviceProviderPages(views),
    async renderError(ctx, out, error) {
      // The request's own ui_locales where the provider has read its parameters, else English.
      const language = useUiLocales(ctx, ctx.oidc?.params?.ui_locales);
      if (isDatabaseUnavailable(error)) {
        ctx.set('Retry-After', '5');
        views.respond(
          ctx,
          'pages/error.njk',
          { title: 'error.unavailable.title', message: 'error.unavailable.message' },
          503,
        );
        return;
      }
      if (isUnstorableInputError(error)) {
        views.respond(
          ctx,
          'pages/error.njk',
          { title: 'error.generic.title', message: 'error.unusable_characters.message', code: 'invalid_request' },
          400,
        );
        return;
      }
      const status = ctx.status >= 400 ? ctx.status : 400;
      views.respond(
        ctx,
        'pages/error.njk',
        {
          title: 'error.generic.title',
          // oidc-provider's description is English; another language shows its own words and the code.
          message:
            out.error_description !== undefined && language === 'en'
              ? { text: out.error_description }
              : 'error.request_failed.message',
          code: out.error,
        },
        status,
      );
    },
    async logoutSource(ctx, form) {
      const { action, xsrf } = parseProviderForm(form);
      useUiLocales(ctx, ctx.oidc.params?.ui_locales);
      views.respond(ctx, 'pages/logout.njk', {
        title: 'logout.title',
        clientName: ctx.oidc.client?.clientName,
        action,
        xsrf,
      });
    },
    async postLogoutSuccessSource(ctx) {
      useUiLocales(ctx, ctx.oidc?.params?.ui_locales);
      views.respond(ctx, 'pages/message.njk', {
        title: 'logout.done.title',
        message: 'logout.done.message',
      });
    },
  };
}
