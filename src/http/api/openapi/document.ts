import { z } from 'zod';
import { CLIENT_ID_PATTERN } from '../params.js';
import { problemExamples } from './examples.js';
import type { Operation, ProblemStatus } from './operation.js';
import { environmentOperations } from './operations-environments.js';
import { tenantOperations } from './operations-tenants.js';
import { componentSchemas } from './response-schemas.js';

/** Every operation the REST API serves under /api/v1, in the order the document lists them. */
export const operations: readonly Operation[] = [...tenantOperations, ...environmentOperations];

type JsonSchema = Record<string, unknown>;

/** A request schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as the route reads it. */
export function requestJsonSchema(schema: z.ZodType): JsonSchema {
  return stripDialect(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }));
}

/** `$schema` is the document's dialect already; zod's fragment-only `$id`s would be invalid there. */
function stripDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

function componentJsonSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(componentSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, stripDialect(schema as JsonSchema)]));
}

const PROBLEMS: Record<ProblemStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'Malformed JSON, an invalid field (`errors` names each), or an id without its kind\u2019s shape.' },
  401: { name: 'Unauthorized', description: 'No valid credential.' },
  403: { name: 'Forbidden', description: 'The role does not allow it, or a cookie-authenticated write came from another origin.' },
  404: { name: 'NotFound', description: 'The tenant, environment or entity does not exist, or belongs to another tenant.' },
  409: { name: 'Conflict', description: 'A uniqueness or state rule (a taken email, the last owner, a resource in use\u2026).' },
  413: { name: 'PayloadTooLarge', description: 'The body is over 100 KB.' },
  415: { name: 'UnsupportedMediaType', description: 'A body that is not application/json.' },
  429: { name: 'TooManyRequests', description: 'Too many attempts; `Retry-After` says when to try again.' },
};

function problemResponses(): Record<string, unknown> {
  return Object.fromEntries(
    (Object.keys(PROBLEMS) as unknown as ProblemStatus[]).map((key) => {
      const status = Number(key) as ProblemStatus;
      const { name, description } = PROBLEMS[status];
      return [
        name,
        {
          description,
          ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } } : {}),
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: problemExamples[status] },
          },
        },
      ];
    }),
  );
}

const uuidParameter = { type: 'string', format: 'uuid' };
const PATH_PARAMETERS: Record<string, JsonSchema> = {
  tenantId: uuidParameter,
  environmentId: uuidParameter,
  accountId: uuidParameter,
  keyId: uuidParameter,
  resourceId: uuidParameter,
  clientId: { type: 'string', pattern: CLIENT_ID_PATTERN.source },
};

function pathParameters(path: string): unknown[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => {
    const schema = PATH_PARAMETERS[name];
    if (!schema) throw new Error(`openapi: no schema for the path parameter ${name}`);
    return { name, in: 'path', required: true, schema };
  });
}

function queryParameters(query: z.ZodObject | undefined): unknown[] {
  if (!query) return [];
  const schema = requestJsonSchema(query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

function operationObject(operation: Operation): Record<string, unknown> {
  const { response } = operation;
  const responses: Record<string, unknown> = {
    [String(response.status)]: {
      description: response.description,
      ...(response.setsCookie
        ? { headers: { 'Set-Cookie': { description: `The \`${response.setsCookie}\` session cookie (HttpOnly, path /api).`, schema: { type: 'string' } } } }
        : {}),
      ...(response.schema
        ? {
            content: {
              'application/json': {
                schema: { $ref: `#/components/schemas/${response.schema}` },
                ...(response.example === undefined ? {} : { example: response.example }),
              },
            },
          }
        : {}),
    },
  };
  for (const status of [...new Set(operation.problems)].sort()) {
    responses[String(status)] = { $ref: `#/components/responses/${PROBLEMS[status].name}` };
  }
  const parameters = [...pathParameters(operation.path), ...queryParameters(operation.query)];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    security: operation.security.map((alternative) => Object.fromEntries(alternative.map((name) => [name, []]))),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body
      ? {
          requestBody: {
            required: operation.body.required ?? true,
            ...(operation.body.description ? { description: operation.body.description } : {}),
            content: { 'application/json': { schema: requestJsonSchema(operation.body.schema), example: operation.body.example } },
          },
        }
      : {}),
    responses,
  };
}

const DESCRIPTION = [
  'The admin and auth REST API of sump, a multi-tenant OpenID Connect identity provider.',
  '',
  'JSON in and out; every request body must be `application/json`. Errors are `application/problem+json` (RFC 9457)',
  'with a stable dotted `code` and `errors: [{ field, message }]`. Checks run in this order: authentication (401),',
  'the shape of the path ids (400), existence and visibility (404), the role (403), the body (400), the sub-entity (404),',
  'uniqueness and state (409). Every route may also answer 503 `service.unavailable` when the database is down.',
  'Lists answer `{ items, nextCursor }` and take `?limit=` (1\u2013100, default 20) and `?cursor=`.',
  '',
  'Generated at start-up from the zod schemas the routes validate requests with, and from the schemas of their answers.',
].join('\n');

/** The OpenAPI 3.1 document of the REST API, served at `serverUrl` (`PUBLIC_URL` + `/api/v1`). */
export function buildOpenApiDocument(options: { serverUrl: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const item = (paths[operation.path] ??= {});
    if (item[operation.method]) throw new Error(`openapi: ${operation.method} ${operation.path} is listed twice`);
    item[operation.method] = operationObject(operation);
  }
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title: 'sump REST API', version: options.version, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    servers: [{ url: options.serverUrl }],
    tags: [...new Set(operations.map((operation) => operation.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentJsonSchemas(),
      responses: problemResponses(),
      securitySchemes: {
        tenantSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sump_session',
          description: 'A tenant account\u2019s API session, set by tenant login or tenant creation. Writes check the request\u2019s origin.',
        },
        tenantApiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'sump_\u2026',
          description: 'A tenant API key (`Authorization: Bearer sump_\u2026`), acting as an admin or a user of its tenant.',
        },
        environmentSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sump_env_session',
          description: 'An environment account\u2019s API session, set by environment login or signup.',
        },
        environmentSessionToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The `sessionToken` of an environment login or signup, sent as `Authorization: Bearer <sessionToken>`.',
        },
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The `OPERATOR_TOKEN`: creates tenants when open tenant signup is off.',
        },
      },
    },
  };
}
