import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { createApiRouter } from '../../src/http/api/index.js';
import { operations, requestJsonSchema } from '../../src/http/api/openapi/document.js';
import { createLogger } from '../../src/logger.js';
import { createClient, createTenant, signupUser, tenantBody, unique, type TestTenant } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;
interface OperationObject {
  operationId?: string;
  summary?: string;
  responses?: Record<string, Json>;
  requestBody?: { content: { 'application/json': { schema: Json; example?: unknown } } };
}
type Document = Json & {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const SCHEMA_URN = 'urn:sump:schema:';

/** `#/components/schemas/X` → a URN ajv resolves among the schemas added to it. */
function withUrnRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', `"${SCHEMA_URN}`)) as T;
}

/** A strict JSON Schema 2020-12 validator that knows the document's component schemas. */
function ajvFor(document: Document) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  for (const [name, schema] of Object.entries(withUrnRefs(document.components.schemas))) {
    ajv.addSchema({ ...schema, $id: `${SCHEMA_URN}${name}` });
  }
  return ajv;
}

/** "GET /tenants/{tenantId}" for every route of a router stack below `prefix`, HEAD left out. */
function routesOf(stack: ReadonlyArray<{ methods: string[]; path: string | RegExp }>, prefix: string): string[] {
  const routes = new Set<string>();
  for (const layer of stack) {
    if (layer.methods.length === 0 || typeof layer.path !== 'string') continue; // middleware only
    if (!layer.path.startsWith(prefix)) throw new Error(`a route outside ${prefix}: ${layer.path}`);
    const path = layer.path.slice(prefix.length).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of layer.methods) if (method !== 'HEAD') routes.add(`${method} ${path}`);
  }
  return [...routes].sort();
}

function documentedRoutes(document: Document): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('OpenAPI: GET /api/v1/openapi.json', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let document: Document;
  let prefix: string;
  beforeAll(async () => {
    server = await startTestServer();
    tenant = await createTenant(server);
    const response = await request(server.url).get('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    document = response.body as Document;
    prefix = new URL(document.servers[0]?.url ?? '').pathname;
  });
  afterAll(async () => {
    await server.close();
  });

  it('is public JSON that caches may keep for a while', async () => {
    const response = await request(server.url).get('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(document.servers).toEqual([{ url: `${server.url}/api/v1` }]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator does refuse a broken document (an answer without its description).
    const broken = structuredClone(document);
    delete broken.paths['/health']?.get?.responses?.['200']?.description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('lists exactly the routes the server serves under /api/v1', () => {
    expect(prefix).toBe('/api/v1');
    const router = createApiRouter({
      config: server.config,
      logger: createLogger(server.config),
      services: server.sump.services,
      issuers: server.sump.issuers,
    });
    const served = routesOf(router.stack, prefix);
    expect(served.length).toBeGreaterThan(70);
    expect(served).toContain('GET /openapi.json');
    expect(served).toContain('PATCH /environments/{environmentId}/clients/{clientId}');
    // A route added without documenting it, or documented without existing, fails here.
    expect(documentedRoutes(document)).toEqual(served);
  });

  it('gives every operation a unique operationId, a summary and its answers', () => {
    const ids: string[] = [];
    for (const item of Object.values(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        expect(operation.operationId).toEqual(expect.stringMatching(/^[a-z][A-Za-z]+$/));
        ids.push(operation.operationId ?? '');
        expect(operation.summary).toEqual(expect.stringMatching(/\S/));
        const statuses = Object.keys(operation.responses ?? {});
        expect(statuses.filter((status) => /^2\d\d$/.test(status))).toHaveLength(1);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(operations.length);
  });

  it('gives every request body an example that the route\u2019s own schema accepts', () => {
    const ajv = ajvFor(document);
    const withBodies = operations.filter((operation) => operation.body);
    expect(withBodies.length).toBeGreaterThan(30);
    for (const operation of withBodies) {
      const body = operation.body!;
      const documented = document.paths[operation.path]?.[operation.method]?.requestBody?.content['application/json'];
      // The document's body is the route's zod schema, and its example is the operation's.
      expect(documented?.schema).toEqual(requestJsonSchema(body.schema));
      expect(documented?.example).toEqual(body.example);
      const parsed = body.schema.safeParse(body.example);
      if (!parsed.success) throw new Error(`${operation.operationId}: the example fails: ${parsed.error.message}`);
      // The JSON Schema the document gives accepts it too (and compiles in strict mode).
      const validate = ajv.compile(documented!.schema);
      expect({ operationId: operation.operationId, valid: validate(body.example), errors: validate.errors ?? null }).toEqual({
        operationId: operation.operationId,
        valid: true,
        errors: null,
      });
    }
    // An example the route would refuse is caught: a strict body refuses an unknown field.
    const createTenantOperation = operations.find((operation) => operation.operationId === 'createTenant');
    expect(createTenantOperation?.body?.schema.safeParse({ ...tenantBody(), extra: 1 }).success).toBe(false);
  });

  it('gives every success answer with a body an example that its schema accepts', () => {
    const ajv = ajvFor(document);
    let checked = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          const content = (response.content as Record<string, { schema: Json; example?: unknown }> | undefined)?.['application/json'];
          if (!content || content.example === undefined) continue;
          const validate = ajv.compile(withUrnRefs(content.schema));
          expect({ at: `${method} ${path} ${status}`, valid: validate(content.example), errors: validate.errors ?? null }).toEqual({
            at: `${method} ${path} ${status}`,
            valid: true,
            errors: null,
          });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
    for (const [name, response] of Object.entries(document.components.responses)) {
      const content = (response.content as Record<string, { schema: Json; example: unknown }>)['application/problem+json'];
      const validate = ajv.compile(withUrnRefs(content!.schema));
      expect({ name, valid: validate(content!.example) }).toEqual({ name, valid: true });
    }
  });

  describe('real answers match the documented schemas', () => {
    /** Validates an answer against what the document says `METHOD template` answers with its status. */
    function expectDocumented(method: (typeof METHODS)[number], template: string, response: request.Response): void {
      const answers = document.paths[template]?.[method]?.responses ?? {};
      let answer = answers[String(response.status)];
      if (!answer) throw new Error(`${method} ${template} does not document ${response.status}: ${JSON.stringify(response.body)}`);
      if (typeof answer.$ref === 'string') answer = document.components.responses[answer.$ref.split('/').pop() ?? ''];
      const type = String(response.headers['content-type']).split(';')[0] ?? '';
      const content = (answer?.content as Record<string, { schema: Json }>)[type];
      if (!content) throw new Error(`${method} ${template} ${response.status} does not document ${type}`);
      const validate = ajvFor(document).compile(withUrnRefs(content.schema));
      expect({ valid: validate(response.body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
    }

    it('POST /tenants (201) and a refused one (400 problem)', async () => {
      const created = await request(server.url).post('/api/v1/tenants').send(tenantBody());
      expect(created.status).toBe(201);
      expectDocumented('post', '/tenants', created);
      const refused = await request(server.url)
        .post('/api/v1/tenants')
        .send(tenantBody({ account: { email: 'not an email' } }));
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ field: 'account.email', message: 'must be an email address' }]);
      expectDocumented('post', '/tenants', refused);
    });

    it('GET /tenants/{tenantId} and GET /tenants/{tenantId}/environments', async () => {
      const got = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}`).set('Cookie', tenant.cookie);
      expect(got.status).toBe(200);
      expectDocumented('get', '/tenants/{tenantId}', got);
      const listed = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/environments`).set('Cookie', tenant.cookie);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toHaveLength(1);
      expectDocumented('get', '/tenants/{tenantId}/environments', listed);
    });

    it('POST /environments/{environmentId}/clients, GET the client, and the signing keys', async () => {
      const response = await request(server.url)
        .post(`/api/v1/environments/${tenant.environmentId}/clients`)
        .set('Cookie', tenant.cookie)
        .send({ name: 'Documented app', redirectUris: ['http://localhost:7777/callback'] });
      expect(response.status).toBe(201);
      expect(response.body.clientSecret).toEqual(expect.any(String));
      expectDocumented('post', '/environments/{environmentId}/clients', response);
      const { clientId } = await createClient(server, tenant, { tokenEndpointAuthMethod: 'none' });
      const got = await request(server.url)
        .get(`/api/v1/environments/${tenant.environmentId}/clients/${clientId}`)
        .set('Cookie', tenant.cookie);
      expect(got.status).toBe(200);
      expectDocumented('get', '/environments/{environmentId}/clients/{clientId}', got);
      const keys = await request(server.url).get(`/api/v1/environments/${tenant.environmentId}/keys`).set('Cookie', tenant.cookie);
      expect(keys.status).toBe(200);
      expectDocumented('get', '/environments/{environmentId}/keys', keys);
    });

    it('signup, GET /environments/{environmentId}/accounts/{accountId} and the session', async () => {
      const user = await signupUser(server, tenant.environmentId, { phone: `+1415${String(Date.now()).slice(-7)}` });
      const account = await request(server.url)
        .get(`/api/v1/environments/${tenant.environmentId}/accounts/${user.accountId}`)
        .set('Cookie', tenant.cookie);
      expect(account.status).toBe(200);
      expect(account.body.id).toBe(user.accountId);
      expectDocumented('get', '/environments/{environmentId}/accounts/{accountId}', account);
      const session = await request(server.url)
        .get(`/api/v1/auth/environments/${tenant.environmentId}/session`)
        .set('Authorization', `Bearer ${user.sessionToken}`);
      expect(session.status).toBe(200);
      expectDocumented('get', '/auth/environments/{environmentId}/session', session);
      const login = await request(server.url)
        .post(`/api/v1/auth/environments/${tenant.environmentId}/login`)
        .send({ username: user.username, password: user.password });
      expect(login.status).toBe(200);
      expectDocumented('post', '/auth/environments/{environmentId}/login', login);
    });

    it('an API key, the audit log, and the problems of a missing credential and a missing entity', async () => {
      const key = await request(server.url)
        .post(`/api/v1/tenants/${tenant.tenantId}/api-keys`)
        .set('Cookie', tenant.cookie)
        .send({ name: `script ${unique()}`, role: 'read-only' });
      expect(key.status).toBe(201);
      expectDocumented('post', '/tenants/{tenantId}/api-keys', key);
      const audit = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}/audit-events`).set('Cookie', tenant.cookie);
      expect(audit.status).toBe(200);
      expect(audit.body.items.length).toBeGreaterThan(0);
      expectDocumented('get', '/tenants/{tenantId}/audit-events', audit);
      const anonymous = await request(server.url).get(`/api/v1/tenants/${tenant.tenantId}`);
      expect(anonymous.status).toBe(401);
      expectDocumented('get', '/tenants/{tenantId}', anonymous);
      const missing = await request(server.url)
        .get(`/api/v1/environments/${tenant.environmentId}/resources/00000000-0000-4000-8000-000000000000`)
        .set('Cookie', tenant.cookie);
      expect(missing.status).toBe(404);
      expectDocumented('get', '/environments/{environmentId}/resources/{resourceId}', missing);
      const health = await request(server.url).get('/api/v1/health');
      expect(health.status).toBe(200);
      expectDocumented('get', '/health', health);
    });
  });
});
