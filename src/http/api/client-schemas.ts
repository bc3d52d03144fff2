import { z } from 'zod';
import { labelField } from '../../services/account-fields.js';

const uniqueList = <T>(values: readonly T[]) => new Set(values).size === values.length;
const uriList = (max: number) =>
  z
    .array(z.string().min(1).max(2000))
    .max(max, `must have at most ${max} entries`)
    .refine(uniqueList, 'must not repeat a URI');
/** RFC 6749 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

const jwk = z.record(z.string(), z.unknown()).refine((key) => typeof key.kty === 'string', 'must be a JWK (with kty)');

/** POST …/clients: the shapes; the rules between fields are the clients service's. */
export const createClientBody = z.strictObject({
  name: labelField,
  redirectUris: uriList(20).optional(),
  postLogoutRedirectUris: uriList(20).optional(),
  grantTypes: z
    .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']))
    .min(1, 'must have at least one grant type')
    .refine(uniqueList, 'must not repeat a grant type')
    .optional(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional(),
  applicationType: z.enum(['web', 'native']).optional(),
  scopes: z
    .array(z.string().regex(SCOPE_TOKEN, 'must be a scope token'))
    .min(1, 'must have at least one scope')
    .max(100)
    .refine(uniqueList, 'must not repeat a scope')
    .optional(),
  firstParty: z.boolean().optional(),
  requirePkce: z.boolean().optional(),
  jwks: z.strictObject({ keys: z.array(jwk).min(1).max(10) }).optional(),
  jwksUri: z.string().min(1).max(2000).optional(),
  backchannelLogoutUri: z.string().min(1).max(2000).optional(),
  idTokenSignedResponseAlg: z.enum(['RS256', 'ES256']).optional(),
  allowedCorsOrigins: z.array(z.string().min(1).max(300)).max(20).refine(uniqueList, 'must not repeat an origin').optional(),
  allowedResources: z.array(z.string().min(1).max(2000)).max(20).refine(uniqueList, 'must not repeat a resource').optional(),
});

/** PATCH …/clients/:clientId: any field of the registration, plus `disabled`; null clears a URL or the keys. */
export const updateClientBody = createClientBody
  .extend({
    jwks: createClientBody.shape.jwks.unwrap().nullable().optional(),
    jwksUri: createClientBody.shape.jwksUri.unwrap().nullable().optional(),
    backchannelLogoutUri: createClientBody.shape.backchannelLogoutUri.unwrap().nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .partial();
