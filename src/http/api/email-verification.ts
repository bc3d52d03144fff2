import Router from '@koa/router';
import { errors } from '../../errors/codes.js';
import { RESEND_VERIFICATION_MESSAGE, type VerificationPlace } from '../../services/email-verification.js';
import type { AccountLookup } from '../../services/lookup.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta, uuidParams } from './params.js';
import { forgotPasswordBody } from './password-reset.js';

/** The same body as forgot-password: exactly one of email, username, phone. */
export const resendVerificationBody = forgotPasswordBody;

function lookupOf(body: ReturnType<typeof resendVerificationBody.parse>): AccountLookup {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return { username: body.username };
  return { phone: body.phone ?? '' };
}

/**
 * POST /auth/tenants/:tenantId/resend-verification and the same under
 * /auth/environments/:environmentId: a new verification link for an unverified account (the
 * old one expired, or was lost), answered the same whether or not one was sent.
 */
export function createEmailVerificationRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>();

  async function tenantPlace(params: Record<string, string | undefined>): Promise<VerificationPlace> {
    const { tenantId } = uuidParams(params, 'tenantId');
    return { kind: 'tenant', tenant: await services.tenantAuth.findTenant(tenantId) };
  }

  async function environmentPlace(params: Record<string, string | undefined>): Promise<VerificationPlace> {
    const { environmentId } = uuidParams(params, 'environmentId');
    const environment = await services.environments.findById(environmentId);
    if (!environment) throw errors.environmentNotFound();
    return { kind: 'environment', environment };
  }

  for (const [prefix, placeOf] of [
    ['/auth/tenants/:tenantId', tenantPlace],
    ['/auth/environments/:environmentId', environmentPlace],
  ] as const) {
    router.post(`${prefix}/resend-verification`, async (ctx) => {
      const place = await placeOf(ctx.params);
      const body = parseWith(resendVerificationBody, readJsonBody(ctx));
      await services.emailVerification.resend(place, lookupOf(body), requestMeta(ctx));
      ctx.body = { message: RESEND_VERIFICATION_MESSAGE };
    });
  }

  return router;
}
