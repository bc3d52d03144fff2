import { z } from 'zod';
import type { toEnvironmentAccountResponse } from '../account-responses.js';
import type { toApiKeyResponse } from '../api-keys.js';
import type { toAuditEventResponse } from '../audit-events.js';
import type { toResourceResponse } from '../resources.js';
import type { toClientResponse, toCreatedSessionResponse, toEnvironmentResponse, toSessionResponse } from '../responses.js';
import type { toTenantAccountResponse, toTenantResponse } from '../tenant-responses.js';

/**
 * The answers' shapes, as zod schemas beside the builders they describe (responses.ts and
 * friends). They feed the OpenAPI document only: the builders stay the one place a body is made.
 * Each schema is checked against its builder's return type below, and the integration test
 * validates real answers against the document, so neither can drift from the other.
 */

const uuid = z.uuid();
/** As `toISOString()` writes it: UTC, milliseconds. */
const dateTime = z.iso.datetime();
const jsonObject = z.record(z.string(), z.unknown());

export const problemSchema = z
  .object({
    type: z.string().describe('`urn:sump:problem:<code>`'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: z.string().describe('A stable dotted name, such as `account.email_taken`.'),
    errors: z
      .array(
        z.object({
          field: z.string().describe('A path into the body (`email`, `account.email`, `redirectUris[0]`) or the path parameter.'),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .describe('RFC 9457 problem details (application/problem+json).');

export const createdSessionSchema = z.object({
  id: uuid,
  accountType: z.enum(['tenant_account', 'environment_account']),
  accountId: uuid,
  contextType: z.enum(['tenant', 'environment']),
  contextId: z.string().describe('The tenant id of a tenant session, the environment id of an environment session.'),
  expiresAt: dateTime,
});

export const sessionSchema = createdSessionSchema.extend({ lastActiveAt: dateTime, createdAt: dateTime });

export const environmentSettingsSchema = z.object({
  branding: z.object({ displayName: z.string().nullable(), logoUrl: z.string().nullable(), primaryColor: z.string().nullable() }),
  signup: z.object({ enabled: z.boolean(), api: z.boolean() }),
  emailVerification: z.object({ required: z.boolean() }),
  passwordPolicy: z.object({ minLength: z.number().int() }),
  sessions: z.object({ lifetimeSeconds: z.number().int(), idleSeconds: z.number().int() }),
  tokens: z.object({
    accessTokenTtl: z.number().int(),
    idTokenTtl: z.number().int(),
    refreshTokenTtl: z.number().int(),
    refreshReuseGraceSeconds: z.number().int(),
  }),
  keys: z.object({ rotationDays: z.number().int() }),
  rateLimits: z.object({
    loginsPerIdentifier: z.number().int(),
    loginsPerAddress: z.number().int(),
    signupsPerAddress: z.number().int(),
    signupsPerEnvironment: z.number().int(),
    deviceCodesPerAddress: z.number().int(),
    deviceCodesPerEnvironment: z.number().int(),
    windowSeconds: z.number().int(),
  }),
});

export const environmentSchema = z.object({
  id: uuid,
  tenantId: uuid,
  name: z.string(),
  customProperties: jsonObject,
  settings: environmentSettingsSchema.describe('Every setting resolved, defaults filled in.'),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const tenantSchema = z.object({
  id: uuid,
  name: z.string(),
  customProperties: jsonObject,
  createdAt: dateTime,
  updatedAt: dateTime,
  environments: z.array(environmentSchema),
});

export const tenantCreatedSchema = z.object({
  tenantId: uuid,
  accountId: uuid,
  environmentId: uuid,
  session: createdSessionSchema,
});

export const tenantAccountSchema = z.object({
  id: uuid,
  tenantId: uuid,
  name: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  username: z.string(),
  phone: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  role: z.enum(['owner', 'admin', 'user']),
  disabled: z.boolean(),
  disabledAt: dateTime.nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
});

const addressSchema = z.object({
  formatted: z.string().optional(),
  street_address: z.string().optional(),
  locality: z.string().optional(),
  region: z.string().optional(),
  postal_code: z.string().optional(),
  country: z.string().optional(),
});

export const environmentAccountSchema = z.object({
  id: uuid,
  tenantId: uuid,
  environmentId: uuid,
  name: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  username: z.string(),
  phone: z.string().nullable(),
  phoneVerified: z.boolean(),
  avatarUrl: z.string().nullable(),
  address: addressSchema.nullable().describe('The OIDC `address` claim.'),
  customProperties: jsonObject,
  hasPassword: z.boolean(),
  disabled: z.boolean(),
  disabledAt: dateTime.nullable(),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const clientSchema = z.object({
  id: z.string().describe('The same as `clientId`.'),
  clientId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  tenantId: uuid,
  environmentId: uuid,
  name: z.string(),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'])),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
  applicationType: z.enum(['web', 'native']),
  scopes: z.array(z.string()),
  firstParty: z.boolean(),
  requirePkce: z.boolean(),
  jwks: z.object({ keys: z.array(z.unknown()) }).nullable(),
  jwksUri: z.string().nullable(),
  backchannelLogoutUri: z.string().nullable(),
  allowedCorsOrigins: z.array(z.string()),
  idTokenSignedResponseAlg: z.enum(['RS256', 'ES256']),
  allowedResources: z.array(z.string()),
  disabled: z.boolean(),
  createdAt: dateTime,
  updatedAt: dateTime,
});

/** A create or a change to a secret-based method answers the secret, this once. */
export const clientWithSecretSchema = clientSchema.extend({
  clientSecret: z.string().optional().describe('Shown in this answer only; absent for clients without a secret.'),
});
export const clientRotatedSchema = clientSchema.extend({ clientSecret: z.string().describe('The new secret, shown this once.') });

export const apiKeySchema = z.object({
  id: uuid,
  name: z.string(),
  role: z.enum(['admin', 'read-only']),
  keyPrefix: z.string(),
  createdBy: uuid,
  expiresAt: dateTime.nullable(),
  lastUsedAt: dateTime.nullable(),
  createdAt: dateTime,
});
export const apiKeyCreatedSchema = apiKeySchema.extend({
  key: z.string().regex(/^sump_/).describe('The key itself, shown in this answer only.'),
});

export const resourceSchema = z.object({
  id: uuid,
  tenantId: uuid,
  environmentId: uuid,
  identifier: z.string().describe('An absolute URI: the access tokens\u2019 `aud`.'),
  name: z.string(),
  scopes: z.array(z.string()),
  accessTokenFormat: z.enum(['jwt', 'opaque']),
  accessTokenTtl: z.number().int().nullable().describe('Seconds; null: the environment\u2019s access-token lifetime.'),
  introspectors: z.array(z.string()),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const signingKeySchema = z.object({
  kid: z.string(),
  alg: z.enum(['RS256', 'ES256']),
  status: z.enum(['active', 'next', 'retired']),
  publicJwk: jsonObject,
  signsFrom: dateTime,
  retiredAt: dateTime.nullable(),
  expiresAt: dateTime.nullable(),
  createdAt: dateTime,
});

export const auditEventSchema = z.object({
  id: uuid,
  at: dateTime,
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string().describe('Dotted, such as `client.secret_rotated`.'),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  ip: z.string().nullable(),
});

export const tenantLoginSchema = z.object({ accountId: uuid, session: sessionSchema });
export const environmentLoginSchema = z.object({
  accountId: uuid,
  session: sessionSchema.nullable().describe('Null when the environment requires a verified email first.'),
  sessionToken: z.string().nullable().describe('Send as `Authorization: Bearer <sessionToken>`; shown in this answer only.'),
});
export const revokedSchema = z.object({ revoked: z.number().int().min(0).describe('How many sessions ended.') });
/** Forgot-password and resend-verification: the same answer whether or not an account was found. */
export const messageAnswerSchema = z.object({ message: z.string() });
export const resetPasswordAnswerSchema = z.object({ success: z.literal(true), message: z.string() });
export const healthSchema = z.object({ status: z.literal('ok'), timestamp: dateTime, uptime: z.number().min(0) });
export const openApiDocumentSchema = z.record(z.string(), z.unknown()).describe('This OpenAPI 3.1 document.');

/** `{ items, nextCursor }`: every list; `nextCursor` is null on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
/** The keys list is one page, always: `nextCursor` is null. */
export const signingKeyListSchema = z.object({ items: z.array(signingKeySchema), nextCursor: z.null() });

/** Every named schema of `components.schemas`, by name. */
export const componentSchemas = {
  Uuid: uuid,
  DateTime: dateTime,
  Problem: problemSchema,
  CreatedSession: createdSessionSchema,
  Session: sessionSchema,
  SessionPage: pageOf(sessionSchema),
  EnvironmentSettings: environmentSettingsSchema,
  Environment: environmentSchema,
  EnvironmentPage: pageOf(environmentSchema),
  Tenant: tenantSchema,
  TenantCreated: tenantCreatedSchema,
  TenantAccount: tenantAccountSchema,
  TenantAccountPage: pageOf(tenantAccountSchema),
  EnvironmentAccount: environmentAccountSchema,
  EnvironmentAccountPage: pageOf(environmentAccountSchema),
  Client: clientSchema,
  ClientWithSecret: clientWithSecretSchema,
  ClientRotated: clientRotatedSchema,
  ClientPage: pageOf(clientSchema),
  ApiKey: apiKeySchema,
  ApiKeyCreated: apiKeyCreatedSchema,
  ApiKeyPage: pageOf(apiKeySchema),
  Resource: resourceSchema,
  ResourcePage: pageOf(resourceSchema),
  SigningKey: signingKeySchema,
  SigningKeyList: signingKeyListSchema,
  AuditEvent: auditEventSchema,
  AuditEventPage: pageOf(auditEventSchema),
  TenantLogin: tenantLoginSchema,
  EnvironmentLogin: environmentLoginSchema,
  Revoked: revokedSchema,
  MessageAnswer: messageAnswerSchema,
  ResetPasswordAnswer: resetPasswordAnswerSchema,
  Health: healthSchema,
  OpenApiDocument: openApiDocumentSchema,
} as const;

export type ComponentName = keyof typeof componentSchemas;

// Compile-time check: each schema's type and its builder's return type are assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function sameShape<T extends true>(): T | undefined {
  return undefined;
}
type Out<S extends z.ZodType> = z.output<S>;
sameShape<Same<Out<typeof createdSessionSchema>, ReturnType<typeof toCreatedSessionResponse>>>();
sameShape<Same<Out<typeof sessionSchema>, ReturnType<typeof toSessionResponse>>>();
sameShape<Same<Out<typeof environmentSchema>, ReturnType<typeof toEnvironmentResponse>>>();
sameShape<Same<Out<typeof tenantSchema>, ReturnType<typeof toTenantResponse>>>();
sameShape<Same<Out<typeof tenantAccountSchema>, ReturnType<typeof toTenantAccountResponse>>>();
sameShape<Same<Out<typeof environmentAccountSchema>, ReturnType<typeof toEnvironmentAccountResponse>>>();
sameShape<Same<Out<typeof clientSchema>, ReturnType<typeof toClientResponse>>>();
sameShape<Same<Out<typeof apiKeySchema>, ReturnType<typeof toApiKeyResponse>>>();
sameShape<Same<Out<typeof resourceSchema>, ReturnType<typeof toResourceResponse>>>();
sameShape<Same<Out<typeof auditEventSchema>, ReturnType<typeof toAuditEventResponse>>>();
