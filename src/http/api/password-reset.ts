import Router from '@koa/router';
import { z } from 'zod';
import { newPasswordField } from '../../services/account-fields.js';
import { FORGOT_PASSWORD_MESSAGE, RESET_PASSWORD_MESSAGE } from '../../services/password-links.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { accountPlaces, identifierBody, lookupOf } from './account-places.js';
import { requestMeta } from './params.js';

/** Forgot password: exactly one of email, username, phone (any string: it is only looked up). */
export const forgotPasswordBody = identifierBody;

export const resetPasswordBody = z.strictObject({
  token: z.string().min(1).max(256),
  newPassword: newPasswordField,
});

/**
 * POST /auth/tenants/:tenantId/{forgot,reset}-password and the same under
 * /auth/environments/:environmentId: the original's reset flow, through link tokens and mail.
 */
export function createPasswordResetRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>();

  for (const [prefix, placeOf] of accountPlaces(services)) {
    router.post(`${prefix}/forgot-password`, async (ctx) => {
      const place = await placeOf(ctx.params);
      const body = parseWith(forgotPasswordBody, readJsonBody(ctx));
      await services.passwordLinks.forgot(place, lookupOf(body), requestMeta(ctx));
      // The same answer whether or not an account was found.
      ctx.body = { message: FORGOT_PASSWORD_MESSAGE };
    });

    router.post(`${prefix}/reset-password`, async (ctx) => {
      const place = await placeOf(ctx.params);
      const body = parseWith(resetPasswordBody, readJsonBody(ctx));
      await services.passwordLinks.reset(place, body.token, body.newPassword, requestMeta(ctx));
      ctx.body = { success: true, message: RESET_PASSWORD_MESSAGE };
    });
  }

  return router;
}
