import { DEFAULT_SETTINGS } from '../../../services/environment-settings.js';

/** Examples for the document: request bodies (each parsed by its route's schema in the tests) and answers. */

export const ids = {
  tenant: '3f1c2a4e-8b7d-4c6e-9a1f-2b3c4d5e6f70',
  account: '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d',
  environment: '7b9345e3-1c2d-4e3f-a4b5-c6d7e8f90a1b',
  session: '9c8b7a6d-5e4f-4321-b0a9-8f7e6d5c4b3a',
  apiKey: '1e2d3c4b-5a69-4788-9766-554433221100',
  resource: '2f3e4d5c-6b7a-4980-8a7b-6c5d4e3f2a1b',
  auditEvent: '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
  client: 'h3Xq9VtYb2LmN4pR8sKw1A',
} as const;

const at = '2026-01-15T09:30:00.000Z';
const later = '2026-02-14T09:30:00.000Z';

export const createdSessionExample = {
  id: ids.session,
  accountType: 'tenant_account',
  accountId: ids.account,
  contextType: 'tenant',
  contextId: ids.tenant,
  expiresAt: later,
};
export const sessionExample = { ...createdSessionExample, lastActiveAt: at, createdAt: at };
export const environmentSessionExample = {
  ...sessionExample,
  accountType: 'environment_account',
  contextType: 'environment',
  contextId: ids.environment,
};

export const environmentExample = {
  id: ids.environment,
  tenantId: ids.tenant,
  name: 'dev',
  customProperties: { region: 'eu-west' },
  settings: DEFAULT_SETTINGS,
  createdAt: at,
  updatedAt: at,
};

export const tenantExample = {
  id: ids.tenant,
  name: 'My company',
  customProperties: {},
  createdAt: at,
  updatedAt: at,
  environments: [environmentExample],
};

export const tenantAccountExample = {
  id: ids.account,
  tenantId: ids.tenant,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  emailVerified: false,
  username: 'ada',
  phone: null,
  avatarUrl: null,
  role: 'owner',
  disabled: false,
  disabledAt: null,
  createdAt: at,
  updatedAt: at,
};

export const environmentAccountExample = {
  id: ids.account,
  tenantId: ids.tenant,
  environmentId: ids.environment,
  name: 'Grace Hopper',
  email: 'grace@example.com',
  emailVerified: true,
  username: 'grace',
  phone: '+14155551234',
  phoneVerified: false,
  avatarUrl: null,
  address: { locality: 'Arlington', country: 'US' },
  customProperties: { plan: 'pro' },
  hasPassword: true,
  disabled: false,
  disabledAt: null,
  createdAt: at,
  updatedAt: at,
};

export const clientExample = {
  id: ids.client,
  clientId: ids.client,
  tenantId: ids.tenant,
  environmentId: ids.environment,
  name: 'My app',
  redirectUris: ['https://app.example.com/callback'],
  postLogoutRedirectUris: ['https://app.example.com/'],
  grantTypes: ['authorization_code', 'refresh_token'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  applicationType: 'web',
  scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
  firstParty: false,
  requirePkce: true,
  jwks: null,
  jwksUri: null,
  backchannelLogoutUri: null,
  allowedCorsOrigins: [],
  idTokenSignedResponseAlg: 'RS256',
  allowedResources: [],
  disabled: false,
  createdAt: at,
  updatedAt: at,
};
export const clientWithSecretExample = { ...clientExample, clientSecret: 'q8Zr…shown-once…Yp2w' };

export const apiKeyExample = {
  id: ids.apiKey,
  name: 'deploy script',
  role: 'admin',
  keyPrefix: 'sump_k3J',
  createdBy: ids.account,
  expiresAt: null,
  lastUsedAt: null,
  createdAt: at,
};
export const apiKeyCreatedExample = { ...apiKeyExample, key: 'sump_k3J…shown-once' };

export const resourceExample = {
  id: ids.resource,
  tenantId: ids.tenant,
  environmentId: ids.environment,
  identifier: 'https://api.example.com',
  name: 'Orders API',
  scopes: ['orders:read', 'orders:write'],
  accessTokenFormat: 'jwt',
  accessTokenTtl: null,
  introspectors: [],
  createdAt: at,
  updatedAt: at,
};

export const signingKeyExample = {
  kid: 'rs-2026-01-15',
  alg: 'RS256',
  status: 'active',
  publicJwk: { kty: 'RSA', kid: 'rs-2026-01-15', alg: 'RS256', use: 'sig', n: '0vx7agoebGcQSuu…', e: 'AQAB' },
  signsFrom: at,
  retiredAt: null,
  expiresAt: null,
  createdAt: at,
};

export const auditEventExample = {
  id: ids.auditEvent,
  at,
  actor: { type: 'tenant_account', id: ids.account },
  action: 'client.secret_rotated',
  target: { type: 'client', id: ids.client },
  ip: '203.0.113.7',
};

export const pageExample = <T>(item: T) => ({ items: [item], nextCursor: null });

export const problemExamples = {
  400: {
    type: 'urn:sump:problem:request.validation_failed',
    title: 'The request is not valid.',
    status: 400,
    detail: 'The request is not valid.',
    code: 'request.validation_failed',
    errors: [{ field: 'email', message: 'must be an email address' }],
  },
  401: problem('auth.unauthenticated', 401, 'A valid session or API key is required.'),
  403: problem('auth.forbidden', 403, 'Your role does not allow this action.'),
  404: problem('environment.not_found', 404, 'The environment does not exist.'),
  409: {
    ...problem('account.email_taken', 409, 'An account with this email already exists.'),
    errors: [{ field: 'email', message: 'email is already in use' }],
  },
  413: problem('request.too_large', 413, 'The request body is too large.'),
  415: problem('request.unsupported_media_type', 415, 'Requests with a body must be application/json.'),
  429: problem('request.rate_limited', 429, 'Too many attempts. Wait a while and try again.'),
} as const;

function problem(code: string, status: number, detail: string) {
  return { type: `urn:sump:problem:${code}`, title: detail, status, detail, code };
}

/** Request bodies. */
export const bodies = {
  createTenant: {
    tenant: { name: 'My company' },
    account: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada', password: 'a long passphrase' },
    environment: { name: 'dev' },
  },
  login: { email: 'ada@example.com', password: 'a long passphrase' },
  changePassword: { currentPassword: 'a long passphrase', newPassword: 'an even longer passphrase' },
  forgotPassword: { email: 'ada@example.com' },
  resetPassword: { token: 'the-token-from-the-mailed-link', newPassword: 'an even longer passphrase' },
  updateTenant: { name: 'My renamed company' },
  setCustomProperties: { region: 'eu-west', tier: 'gold' },
  deleteCustomProperty: { customProperty: 'tier' },
  createTenantAccount: { name: 'Alan Turing', email: 'alan@example.com', username: 'alan', role: 'admin' },
  updateTenantProfile: { name: 'Alan M. Turing', avatarUrl: 'https://example.com/alan.png' },
  changeEmail: { email: 'alan.turing@example.com' },
  changeUsername: { username: 'aturing' },
  changePhone: { phone: '+14155551234' },
  changeRole: { role: 'user' },
  empty: {},
  createApiKey: { name: 'deploy script', role: 'admin', expiresAt: '2099-12-31T00:00:00Z' },
  createEnvironment: { name: 'staging', customProperties: { region: 'eu-west' } },
  updateEnvironment: {
    name: 'staging-eu',
    settings: { branding: { displayName: 'Example Inc.', primaryColor: '#1a73e8' }, passwordPolicy: { minLength: 12 } },
  },
  createClient: {
    name: 'My app',
    redirectUris: ['https://app.example.com/callback'],
    postLogoutRedirectUris: ['https://app.example.com/'],
  },
  updateClient: { name: 'My renamed app', firstParty: true },
  createResource: { identifier: 'https://api.example.com', name: 'Orders API', scopes: ['orders:read', 'orders:write'] },
  updateResource: { name: 'Orders API v2', accessTokenTtl: 900 },
  signup: { name: 'Grace Hopper', email: 'grace@example.com', username: 'grace', password: 'another long passphrase' },
  createEnvironmentAccount: {
    name: 'Grace Hopper',
    email: 'grace@example.com',
    username: 'grace',
    phone: '+14155551234',
    address: { locality: 'Arlington', country: 'US' },
    customProperties: { plan: 'pro' },
  },
  updateEnvironmentAccount: { name: 'Grace B. Hopper', customProperties: { plan: 'enterprise' } },
  changeEnvironmentPhone: { phone: '+14155551234' },
} as const;
