import Router from '@koa/router';
import { RESEND_VERIFICATION_MESSAGE } from '../../services/email-verification.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { accountPlaces, identifierBody, lookupOf } from './account-places.js';
import { requestMeta } from './params.js';

/** The same body as forgot-password: exactly one of email, username, phone. */
export const resendVerificationBody = identifierBody;

/**
 * POST /auth/tenants/:tenantId/resend-verification and the same under
 * /auth/environments/:environmentId: a new verification link for an unverified account (the
 * old one expired, or was lost), answered the same whether or not one was sent.
 */
export function createEmailVerificationRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>();

  for (const [prefix, placeOf] of accountPlaces(services)) {
    router.post(`${prefix}/resend-verification`, async (ctx) => {
      const place = await placeOf(ctx.params);
      const body = parseWith(resendVerificationBody, readJsonBody(ctx));
      await services.emailVerification.resend(place, lookupOf(body), requestMeta(ctx));
      ctx.body = { message: RESEND_VERIFICATION_MESSAGE };
    });
  }

  return router;
}
