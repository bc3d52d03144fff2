import Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../errors/codes.js';
import { newPasswordField } from '../../services/account-fields.js';
import { FORGOT_PASSWORD_MESSAGE, RESET_PASSWORD_MESSAGE, type PasswordPlace } from '../../services/password-links.js';
import type { AccountLookup } from '../../services/lookup.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { requestMeta, uuidParams } from './params.js';

const IDENTIFIERS = ['email', 'username', 'phone'] as const;

/** Forgot password: exactly one of email, username, phone (any string: it is only looked up). */
export const forgotPasswordBody = z
  .strictObject({
    email: z.string().min(1).max(320).optional(),
    username: z.string().min(1).max(64).optional(),
    phone: z.string().min(1).max(32).optional(),
  })
  .superRefine((value, ctx) => {
    const given = IDENTIFIERS.filter((key) => value[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? ['email'] : [given[1] ?? 'email'],
        message: 'give exactly one of email, username or phone',
      });
    }
  });

export const resetPasswordBody = z.strictObject({
  token: z.string().min(1).max(256),
  newPassword: newPasswordField,
});

function forgotLookup(body: z.output<typeof forgotPasswordBody>): AccountLookup {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return { username: body.username };
  return { phone: body.phone ?? '' };
}

/**
 * POST /auth/tenants/:tenantId/{forgot,reset}-password and the same under
 * /auth/environments/:environmentId: the original's reset flow, through link tokens and mail.
 */
export function createPasswordResetRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>();

  async function tenantPlace(params: Record<string, string | undefined>): Promise<PasswordPlace> {
    const { tenantId } = uuidParams(params, 'tenantId');
    return { kind: 'tenant', tenant: await services.tenantAuth.findTenant(tenantId) };
  }

  async function environmentPlace(params: Record<string, string | undefined>): Promise<PasswordPlace> {
    const { environmentId } = uuidParams(params, 'environmentId');
    const environment = await services.environments.findById(environmentId);
    if (!environment) throw errors.environmentNotFound();
    return { kind: 'environment', environment };
  }

  for (const [prefix, placeOf] of [
    ['/auth/tenants/:tenantId', tenantPlace],
    ['/auth/environments/:environmentId', environmentPlace],
  ] as const) {
    router.post(`${prefix}/forgot-password`, async (ctx) => {
      const place = await placeOf(ctx.params);
      const body = parseWith(forgotPasswordBody, readJsonBody(ctx));
      await services.passwordLinks.forgot(place, forgotLookup(body), requestMeta(ctx));
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
