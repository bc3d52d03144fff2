import { z } from 'zod';
import { errors } from '../../errors/codes.js';
import type { AccountLookup } from '../../services/lookup.js';
import type { PasswordPlace } from '../../services/password-links.js';
import type { Services } from '../../services/index.js';
import { uuidParams } from './params.js';

/**
 * What the account routes outside a session share: the identifier an account is found by
 * (login, forgot-password, resend-verification) and the place it lives (a tenant, an environment).
 */

const IDENTIFIERS = ['email', 'username', 'phone'] as const;

/** email, username, phone: any string of bounded length (they are only looked up). */
export const identifierFields = {
  email: z.string().min(1).max(320).optional(),
  username: z.string().min(1).max(64).optional(),
  phone: z.string().min(1).max(32).optional(),
};

type IdentifierInput = { [K in (typeof IDENTIFIERS)[number]]?: string | undefined };

/** The refinement of a body that takes exactly one of email, username or phone. */
export function exactlyOneIdentifier(value: IdentifierInput, ctx: z.RefinementCtx): void {
  const given = IDENTIFIERS.filter((key) => value[key] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: given.length === 0 ? ['email'] : [given[1] ?? 'email'],
      message: 'give exactly one of email, username or phone',
    });
  }
}

/** Exactly one of email, username, phone, and nothing else. */
export const identifierBody = z.strictObject(identifierFields).superRefine(exactlyOneIdentifier);

export function lookupOf(body: IdentifierInput): AccountLookup {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return { username: body.username };
  return { phone: body.phone ?? '' };
}

export type PlaceResolver = (params: Record<string, string | undefined>) => Promise<PasswordPlace>;

/**
 * The two places accounts live, each with the path prefix of its auth routes: the tenant (its
 * tenant accounts) and the environment (its end users). An unknown one is a 404.
 */
export function accountPlaces(services: Services): ReadonlyArray<readonly [prefix: string, resolve: PlaceResolver]> {
  const tenantPlace: PlaceResolver = async (params) => {
    const { tenantId } = uuidParams(params, 'tenantId');
    return { kind: 'tenant', tenant: await services.tenantAuth.findTenant(tenantId) };
  };
  const environmentPlace: PlaceResolver = async (params) => {
    const { environmentId } = uuidParams(params, 'environmentId');
    const environment = await services.environments.findById(environmentId);
    if (!environment) throw errors.environmentNotFound();
    return { kind: 'environment', environment };
  };
  return [
    ['/auth/tenants/:tenantId', tenantPlace],
    ['/auth/environments/:environmentId', environmentPlace],
  ];
}
