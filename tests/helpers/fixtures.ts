import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Database } from '../../src/db/database.js';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * Builders for the things most tests need, made through the public API as a user would make
 * them. Each call makes fresh, unique names, so tests (and test files sharing one PostgreSQL
 * database) never collide. Every helper throws with the answer's body when the API refuses.
 */

export const DEFAULT_PASSWORD = 'correct horse battery staple';

/** A short unique suffix (10 hex characters): fits usernames (3–20 characters) with a prefix. */
export function unique(): string {
  return randomBytes(5).toString('hex');
}

/** `name=value` of a Set-Cookie header of the answer, ready for a `Cookie` request header. */
export function cookieFrom(response: request.Response, name = 'sump_session'): string | undefined {
  const header = response.headers['set-cookie'] as unknown as string[] | string | undefined;
  const cookies = Array.isArray(header) ? header : header ? [header] : [];
  const found = cookies.find((cookie) => cookie.startsWith(`${name}=`));
  return found?.split(';')[0];
}

function expectStatus(response: request.Response, status: number, what: string): void {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  }
}

export interface TestTenant {
  readonly tenantId: string;
  /** The owner's account id. */
  readonly accountId: string;
  /** The first environment (named "default" unless overridden). */
  readonly environmentId: string;
  /** `sump_session=<token>`: send as the `Cookie` header to act as the owner. */
  readonly cookie: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
  /** The whole 201 body of POST /api/v1/tenants. */
  readonly body: Record<string, unknown>;
}

export interface TenantOverrides {
  tenant?: Record<string, unknown>;
  account?: Record<string, unknown>;
  environment?: Record<string, unknown>;
}

/** A body for POST /api/v1/tenants with fresh names; overrides are merged into each part. */
export function tenantBody(overrides: TenantOverrides = {}) {
  const id = unique();
  return {
    tenant: { name: `Tenant ${id}`, ...overrides.tenant },
    account: {
      name: 'Ada Lovelace',
      email: `owner-${id}@example.com`,
      username: `owner_${id}`,
      password: DEFAULT_PASSWORD,
      ...overrides.account,
    },
    ...(overrides.environment ? { environment: overrides.environment } : {}),
  };
}

/** POST /api/v1/tenants: a tenant, its owner (signed in: `cookie`) and its first environment. */
export async function createTenant(server: TestServer, overrides: TenantOverrides = {}): Promise<TestTenant> {
  const body = tenantBody(overrides);
  const response = await request(server.url).post('/api/v1/tenants').send(body);
  expectStatus(response, 201, 'createTenant');
  const cookie = cookieFrom(response);
  if (!cookie) throw new Error('createTenant: no sump_session cookie');
  return {
    tenantId: response.body.tenantId,
    accountId: response.body.accountId,
    environmentId: response.body.environmentId,
    cookie,
    email: body.account.email as string,
    username: body.account.username as string,
    password: body.account.password as string,
    body: response.body,
  };
}

/** POST /api/v1/tenants/:tenantId/environments as the tenant's owner; answers the environment entity. */
export async function createEnvironment(
  server: TestServer,
  tenant: Pick<TestTenant, 'tenantId' | 'cookie'>,
  body: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string }> {
  const response = await request(server.url)
    .post(`/api/v1/tenants/${tenant.tenantId}/environments`)
    .set('Cookie', tenant.cookie)
    .send({ name: `env-${unique()}`, ...body });
  expectStatus(response, 201, 'createEnvironment');
  return response.body;
}

/**
 * A new environment of the tenant with these settings. The API does not set settings yet, so
 * they are written straight to its row; answers the environment's id.
 */
export async function createEnvironmentWithSettings(
  server: TestServer,
  tenant: Pick<TestTenant, 'tenantId' | 'cookie'>,
  settings: Record<string, unknown>,
): Promise<string> {
  const environment = await createEnvironment(server, tenant);
  await server.db('environments').where({ tenant_id: tenant.tenantId, id: environment.id }).update({ settings: JSON.stringify(settings) });
  return environment.id;
}

export interface ServerWithTenants {
  readonly server: TestServer;
  /** The tenant the tests act as. */
  readonly tenant: TestTenant;
  /** A second tenant, to show that nothing of `tenant` reaches it or comes from it. */
  readonly other: TestTenant;
}

/** A test server and two tenants on it: what the API test files start with. */
export async function startServerWithTenants(): Promise<ServerWithTenants> {
  const server = await startTestServer();
  try {
    return { server, tenant: await createTenant(server), other: await createTenant(server) };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** The default client: confidential, code + refresh, redirecting to http://localhost:7777/callback. */
export const DEFAULT_REDIRECT_URI = 'http://localhost:7777/callback';

export interface TestClient extends Record<string, unknown> {
  readonly clientId: string;
  /** Present for confidential clients only. */
  readonly clientSecret?: string;
}

/**
 * POST /api/v1/environments/:envId/clients as the tenant's owner (in its first environment
 * unless `environmentId` is given); answers the 201 body, with `clientSecret`.
 */
export async function createClient(
  server: TestServer,
  tenant: Pick<TestTenant, 'environmentId' | 'cookie'>,
  body: Record<string, unknown> = {},
  environmentId: string = tenant.environmentId,
): Promise<TestClient> {
  const response = await request(server.url)
    .post(`/api/v1/environments/${environmentId}/clients`)
    .set('Cookie', tenant.cookie)
    .send({ name: 'Test app', redirectUris: [DEFAULT_REDIRECT_URI], ...body });
  expectStatus(response, 201, 'createClient');
  return response.body;
}

export interface TestUser {
  readonly accountId: string;
  /** Send as `Authorization: Bearer <sessionToken>` (null when the environment requires verified emails). */
  readonly sessionToken: string | null;
  /** `sump_env_session=<token>` when a session was issued. */
  readonly cookie: string | undefined;
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
}

/** A body for environment signup with fresh identifiers; `overrides` replace fields. */
export function signupBody(overrides: Record<string, unknown> = {}) {
  const id = unique();
  return {
    name: 'Grace Hopper',
    email: `user-${id}@example.com`,
    username: `user_${id}`,
    password: DEFAULT_PASSWORD,
    ...overrides,
  };
}

/** POST /api/v1/auth/environments/:envId/signup: an end user of the environment, signed in. */
export async function signupUser(
  server: TestServer,
  environmentId: string,
  overrides: Record<string, unknown> = {},
): Promise<TestUser> {
  const body = signupBody(overrides);
  const response = await request(server.url).post(`/api/v1/auth/environments/${environmentId}/signup`).send(body);
  expectStatus(response, 201, 'signupUser');
  return {
    accountId: response.body.accountId,
    sessionToken: response.body.sessionToken,
    cookie: cookieFrom(response, 'sump_env_session'),
    name: body.name as string,
    email: body.email as string,
    username: body.username as string,
    password: body.password as string,
  };
}

/** How many rows of a table match: PostgreSQL's count is a string, PGlite's a number. */
export async function countRows(db: Database, table: string, where: Record<string, unknown>): Promise<number> {
  const row = await db(table).where(where).count<{ count: string | number }[]>({ count: '*' }).first();
  return Number(row?.count ?? 0);
}

/** Every string in a JSON value, keys included: for asserting that no hash or secret leaks. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...allStrings(inner)]);
  }
  return [];
}

/** A tenant account of the given role, created by the tenant's owner through the API, then signed in (its `cookie`). */
export async function addTenantAccount(
  server: TestServer,
  tenant: Pick<TestTenant, 'tenantId' | 'cookie'>,
  role: 'owner' | 'admin' | 'user',
): Promise<{ accountId: string; cookie: string; email: string; password: string }> {
  const id = unique();
  const email = `${role}-${id}@example.com`;
  const created = await request(server.url)
    .post(`/api/v1/tenants/${tenant.tenantId}/accounts`)
    .set('Cookie', tenant.cookie)
    .send({ name: `A ${role}`, email, username: `${role}_${id}`, password: DEFAULT_PASSWORD, role });
  expectStatus(created, 201, 'addTenantAccount: create');
  const response = await request(server.url)
    .post(`/api/v1/auth/tenants/${tenant.tenantId}/login`)
    .send({ email, password: DEFAULT_PASSWORD });
  expectStatus(response, 200, 'addTenantAccount: login');
  return { accountId: created.body.id as string, cookie: cookieFrom(response)!, email, password: DEFAULT_PASSWORD };
}
