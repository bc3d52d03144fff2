import type { z } from 'zod';
import type { ComponentName } from './response-schemas.js';

/**
 * One operation of the REST API, as the OpenAPI document tells it. The request body is the very
 * zod schema its route parses, so the document cannot describe a body the route does not take.
 */

export type SecuritySchemeName =
  | 'tenantSession'
  | 'tenantApiKey'
  | 'environmentSession'
  | 'environmentSessionToken'
  | 'operatorToken';

/** One way to be let in: every scheme named must be present; `[]` means no credential at all. */
export type SecurityAlternative = readonly SecuritySchemeName[];

/** The problem answers an operation can give, each a `components.responses` entry. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429;

export interface OperationResponse {
  readonly status: 200 | 201 | 204;
  readonly description: string;
  /** The body's schema in `components.schemas`; none for 204. */
  readonly schema?: ComponentName;
  readonly example?: unknown;
  /** The answer sets this API session cookie. */
  readonly setsCookie?: 'sump_session' | 'sump_env_session';
}

export interface OperationBody {
  readonly schema: z.ZodType;
  readonly example: unknown;
  /** False for the action routes that take an optional empty object. */
  readonly required?: boolean;
  readonly description?: string;
}

export interface Operation {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI form, below the server's `/api/v1`: `/tenants/{tenantId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly security: readonly SecurityAlternative[];
  /** The zod object the route parses its query string with. */
  readonly query?: z.ZodObject;
  readonly body?: OperationBody;
  readonly response: OperationResponse;
  readonly problems: readonly ProblemStatus[];
}

/** Who may call, as security requirement alternatives. */
export const PUBLIC: readonly SecurityAlternative[] = [[]];
export const TENANT_ADMIN: readonly SecurityAlternative[] = [['tenantSession'], ['tenantApiKey']];
export const TENANT_SESSION: readonly SecurityAlternative[] = [['tenantSession']];
export const ENVIRONMENT_SESSION: readonly SecurityAlternative[] = [['environmentSession'], ['environmentSessionToken']];
/** Tenant credentials, or the account's own environment session (for itself only). */
export const TENANT_ADMIN_OR_SELF: readonly SecurityAlternative[] = [...TENANT_ADMIN, ...ENVIRONMENT_SESSION];

/** The problems of a route behind tenant credentials that reads no body: 401, ids, 404. */
export const READ_PROBLEMS: readonly ProblemStatus[] = [400, 401, 404];
/** A write behind tenant credentials that reads no body: also 403 (role, cookie origin). */
export const WRITE_PROBLEMS: readonly ProblemStatus[] = [400, 401, 403, 404];
/** A write that reads a JSON body: also 413 and 415. */
export const BODY_PROBLEMS: readonly ProblemStatus[] = [400, 401, 403, 404, 413, 415];
