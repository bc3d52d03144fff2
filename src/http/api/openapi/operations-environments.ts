import { createClientBody, updateClientBody } from '../client-schemas.js';
import {
  accountListQuery,
  adminProfileBody,
  changeEmailBody,
  changePasswordBody,
  changePhoneBody,
  changeUsernameBody,
  createEnvironmentAccountBody,
  deleteCustomPropertyBody,
  setCustomPropertyBody,
} from '../environment-schemas.js';
import { pageQuery } from '../pagination.js';
import { createResourceBody, updateResourceBody } from '../resources.js';
import { loginBody, signupBody } from '../schemas.js';
import { emptyBody } from '../tenant-schemas.js';
import * as ex from './examples.js';
import {
  BODY_PROBLEMS,
  ENVIRONMENT_SESSION,
  PUBLIC,
  READ_PROBLEMS,
  TENANT_ADMIN,
  TENANT_ADMIN_OR_SELF,
  WRITE_PROBLEMS,
  type Operation,
} from './operation.js';
import { accountMailOperations } from './operations-account-mails.js';

/** The operations of /environments/{environmentId}/… and /auth/environments/… */

const clients = '/environments/{environmentId}/clients';
const client = `${clients}/{clientId}`;
const resources = '/environments/{environmentId}/resources';
const resource = `${resources}/{resourceId}`;
const accounts = '/environments/{environmentId}/accounts';
const account = `${accounts}/{accountId}`;
const auth = '/auth/environments/{environmentId}';

const clientAnswer = { status: 200, description: 'The client (never its secret).', schema: 'Client', example: ex.clientExample } as const;
const resourceAnswer = { status: 200, description: 'The resource.', schema: 'Resource', example: ex.resourceExample } as const;
const keysAnswer = { status: 200, description: 'Every published key.', schema: 'SigningKeyList', example: ex.pageExample(ex.signingKeyExample) } as const;
const accountAnswer = { status: 200, description: 'The account (never a hash).', schema: 'EnvironmentAccount', example: ex.environmentAccountExample } as const;
const loginAnswer = (status: 200 | 201, description: string) =>
  ({
    status,
    description,
    schema: 'EnvironmentLogin',
    example: { accountId: ex.ids.account, session: ex.environmentSessionExample, sessionToken: 'Zk9v…shown-once…3qLw' },
    setsCookie: 'sump_env_session',
  }) as const;
const selfNote = 'The account itself may call this through its own environment session (cookie or bearer token).';

export const environmentOperations: Operation[] = [
  {
    method: 'post',
    path: clients,
    operationId: 'createClient',
    tag: 'clients',
    summary: 'Register an OIDC client',
    description: 'Defaults: `client_secret_basic`, grants `authorization_code` and `refresh_token`, `web`, `requirePkce: true`, `firstParty: false`.',
    security: TENANT_ADMIN,
    body: { schema: createClientBody, example: ex.bodies.createClient },
    response: { status: 201, description: 'Created; a confidential client\u2019s `clientSecret` is shown this once.', schema: 'ClientWithSecret', example: ex.clientWithSecretExample },
    problems: BODY_PROBLEMS,
  },
  {
    method: 'get',
    path: clients,
    operationId: 'listClients',
    tag: 'clients',
    summary: 'List the environment\u2019s clients',
    security: TENANT_ADMIN,
    query: pageQuery,
    response: { status: 200, description: 'A page of clients.', schema: 'ClientPage', example: ex.pageExample(ex.clientExample) },
    problems: READ_PROBLEMS,
  },
  { method: 'get', path: client, operationId: 'getClient', tag: 'clients', summary: 'Read a client', security: TENANT_ADMIN, response: clientAnswer, problems: READ_PROBLEMS },
  {
    method: 'patch',
    path: client,
    operationId: 'updateClient',
    tag: 'clients',
    summary: 'Change a client\u2019s registration, or disable it',
    description: '`null` clears `jwks`, `jwksUri`, `backchannelLogoutUri`. Moving to a secret-based method answers a new `clientSecret` once.',
    security: TENANT_ADMIN,
    body: { schema: updateClientBody, example: ex.bodies.updateClient },
    response: { status: 200, description: 'The client.', schema: 'ClientWithSecret', example: ex.clientExample },
    problems: BODY_PROBLEMS,
  },
  {
    method: 'delete',
    path: client,
    operationId: 'deleteClient',
    tag: 'clients',
    summary: 'Delete a client and what it was issued',
    security: TENANT_ADMIN,
    response: { status: 204, description: 'Deleted.' },
    problems: WRITE_PROBLEMS,
  },
  {
    method: 'post',
    path: `${client}/secret`,
    operationId: 'rotateClientSecret',
    tag: 'clients',
    summary: 'Rotate the client\u2019s secret (the old one stops working at once)',
    description: 'A client without a secret: 409 `client.no_secret`.',
    security: TENANT_ADMIN,
    response: { status: 200, description: 'The client with its new secret, shown this once.', schema: 'ClientRotated', example: ex.clientWithSecretExample },
    problems: [...WRITE_PROBLEMS, 409],
  },

  {
    method: 'get',
    path: '/environments/{environmentId}/keys',
    operationId: 'listSigningKeys',
    tag: 'signing keys',
    summary: 'The issuer\u2019s published signing keys (public parts only)',
    description:
      'For each algorithm: `active` signs now; `next` is published ahead and signs from its `signsFrom` ' +
      '(scheduled rotation, a day ahead); `retired` only verifies what it signed, until its `expiresAt`. ' +
      'An active key whose successor is published ahead already shows its future `retiredAt`.',
    security: TENANT_ADMIN,
    response: keysAnswer,
    problems: READ_PROBLEMS,
  },
  {
    method: 'post',
    path: '/environments/{environmentId}/keys/rotate',
    operationId: 'rotateSigningKeys',
    tag: 'signing keys',
    summary: 'New RS256 and ES256 keys sign at once; the old ones stay published until their tokens expire',
    description:
      'The old keys stay published for the longest lifetime of what they signed (ID tokens, access tokens, ' +
      'each API resource\u2019s JWT access tokens, logout tokens) plus a minute; a key published ahead by the ' +
      'schedule never signed and is withdrawn.',
    security: TENANT_ADMIN,
    response: keysAnswer,
    problems: WRITE_PROBLEMS,
  },

  {
    method: 'post',
    path: resources,
    operationId: 'createResource',
    tag: 'resources',
    summary: 'Register an API resource (RFC 8707)',
    security: TENANT_ADMIN,
    body: { schema: createResourceBody, example: ex.bodies.createResource },
    response: { ...resourceAnswer, status: 201, description: 'Created.' },
    problems: [...BODY_PROBLEMS, 409],
  },
  {
    method: 'get',
    path: resources,
    operationId: 'listResources',
    tag: 'resources',
    summary: 'List the environment\u2019s API resources',
    security: TENANT_ADMIN,
    query: pageQuery,
    response: { status: 200, description: 'A page of resources.', schema: 'ResourcePage', example: ex.pageExample(ex.resourceExample) },
    problems: READ_PROBLEMS,
  },
  { method: 'get', path: resource, operationId: 'getResource', tag: 'resources', summary: 'Read an API resource', security: TENANT_ADMIN, response: resourceAnswer, problems: READ_PROBLEMS },
  {
    method: 'patch',
    path: resource,
    operationId: 'updateResource',
    tag: 'resources',
    summary: 'Change an API resource (its identifier does not change)',
    security: TENANT_ADMIN,
    body: { schema: updateResourceBody, example: ex.bodies.updateResource },
    response: resourceAnswer,
    problems: BODY_PROBLEMS,
  },
  {
    method: 'delete',
    path: resource,
    operationId: 'deleteResource',
    tag: 'resources',
    summary: 'Delete an API resource',
    description: 'A resource a client still lists in `allowedResources`: 409 `resource.in_use`.',
    security: TENANT_ADMIN,
    response: { status: 204, description: 'Deleted.' },
    problems: [...WRITE_PROBLEMS, 409],
  },

  {
    method: 'post',
    path: `${auth}/signup`,
    operationId: 'environmentSignup',
    tag: 'environment auth',
    summary: 'Sign up an end user and sign them in',
    description:
      'A taken email, username or phone is a 409 naming every taken field. Where the environment requires verified emails, `session` and `sessionToken` are null.',
    security: PUBLIC,
    body: { schema: signupBody, example: ex.bodies.signup },
    response: loginAnswer(201, 'Created; the `sump_env_session` cookie is set when a session was issued.'),
    problems: [400, 403, 404, 409, 413, 415, 429],
  },
  {
    method: 'post',
    path: `${auth}/login`,
    operationId: 'environmentLogin',
    tag: 'environment auth',
    summary: 'Sign an end user in',
    description: 'Exactly one of email, username, phone, and the password. An unverified email where verification is required: 403 `account.email_unverified`.',
    security: PUBLIC,
    body: { schema: loginBody, example: ex.bodies.login },
    response: loginAnswer(200, 'Signed in; the `sump_env_session` cookie is set.'),
    problems: [400, 401, 403, 404, 413, 415, 429],
  },
  {
    method: 'post',
    path: `${auth}/logout`,
    operationId: 'environmentLogout',
    tag: 'environment auth',
    summary: 'End this session and clear the cookie',
    security: [[], ...ENVIRONMENT_SESSION],
    response: { status: 204, description: 'Signed out (also without a session).' },
    problems: [400, 403],
  },
  {
    method: 'get',
    path: `${auth}/session`,
    operationId: 'getEnvironmentSession',
    tag: 'environment auth',
    summary: 'The current session',
    security: ENVIRONMENT_SESSION,
    response: { status: 200, description: 'The session.', schema: 'Session', example: ex.environmentSessionExample },
    problems: READ_PROBLEMS,
  },
  {
    method: 'post',
    path: `${auth}/change-password`,
    operationId: 'environmentChangePassword',
    tag: 'environment auth',
    summary: 'Change one\u2019s own password',
    description: 'Answers a new session; every other session, and every OIDC session, grant and token of the account, ends.',
    security: ENVIRONMENT_SESSION,
    body: { schema: changePasswordBody, example: ex.bodies.changePassword },
    response: loginAnswer(200, 'The password is changed; a new session.'),
    problems: BODY_PROBLEMS,
  },
  {
    method: 'get',
    path: `${auth}/sessions`,
    operationId: 'listEnvironmentSessions',
    tag: 'environment auth',
    summary: 'The account\u2019s live sessions',
    security: ENVIRONMENT_SESSION,
    query: pageQuery,
    response: { status: 200, description: 'A page of sessions.', schema: 'SessionPage', example: ex.pageExample(ex.environmentSessionExample) },
    problems: READ_PROBLEMS,
  },
  {
    method: 'post',
    path: `${auth}/logout-all`,
    operationId: 'environmentLogoutAll',
    tag: 'environment auth',
    summary: 'End every session of the account',
    security: ENVIRONMENT_SESSION,
    response: { status: 200, description: 'How many sessions ended; the cookie is cleared.', schema: 'Revoked', example: { revoked: 2 } },
    problems: WRITE_PROBLEMS,
  },
  ...accountMailOperations(auth, 'environment auth', 'environment'),

  {
    method: 'post',
    path: accounts,
    operationId: 'createEnvironmentAccount',
    tag: 'environment accounts',
    summary: 'Create an end user (owners and admins)',
    description: 'Without a password the account gets a set-password mail.',
    security: TENANT_ADMIN,
    body: { schema: createEnvironmentAccountBody, example: ex.bodies.createEnvironmentAccount },
    response: { ...accountAnswer, status: 201, description: 'Created.' },
    problems: [...BODY_PROBLEMS, 409],
  },
  {
    method: 'get',
    path: accounts,
    operationId: 'listEnvironmentAccounts',
    tag: 'environment accounts',
    summary: 'List the environment\u2019s end users',
    description: '`email` and `username` match exactly, on the normalised value.',
    security: TENANT_ADMIN,
    query: accountListQuery,
    response: { status: 200, description: 'A page of accounts.', schema: 'EnvironmentAccountPage', example: ex.pageExample(ex.environmentAccountExample) },
    problems: WRITE_PROBLEMS,
  },
  { method: 'get', path: account, operationId: 'getEnvironmentAccount', tag: 'environment accounts', summary: 'Read an end user', description: selfNote, security: TENANT_ADMIN_OR_SELF, response: accountAnswer, problems: WRITE_PROBLEMS },
  {
    method: 'patch',
    path: account,
    operationId: 'updateEnvironmentAccount',
    tag: 'environment accounts',
    summary: 'Change an end user\u2019s profile',
    description: `${selfNote} Only owners and admins may set \`emailVerified\`; the account itself sends the other fields only.`,
    security: TENANT_ADMIN_OR_SELF,
    body: { schema: adminProfileBody, example: ex.bodies.updateEnvironmentAccount },
    response: accountAnswer,
    problems: BODY_PROBLEMS,
  },
  {
    method: 'delete',
    path: account,
    operationId: 'deleteEnvironmentAccount',
    tag: 'environment accounts',
    summary: 'Delete an end user',
    description: selfNote,
    security: TENANT_ADMIN_OR_SELF,
    response: { status: 204, description: 'Deleted; its sessions, grants and tokens end.' },
    problems: WRITE_PROBLEMS,
  },
  ...(
    [
      ['email', 'Email', changeEmailBody, ex.bodies.changeEmail, 'Change the email (it is unverified again)'],
      ['phone', 'Phone', changePhoneBody, ex.bodies.changeEnvironmentPhone, 'Change or clear (`null`) the phone number'],
      ['username', 'Username', changeUsernameBody, ex.bodies.changeUsername, 'Change the username'],
    ] as const
  ).map(
    ([field, name, schema, example, summary]): Operation => ({
      method: 'patch',
      path: `${account}/${field}`,
      operationId: `changeEnvironmentAccount${name}`,
      tag: 'environment accounts',
      summary,
      description: `${selfNote} Taken in the environment: 409 \`account.${field}_taken\`.`,
      security: TENANT_ADMIN_OR_SELF,
      body: { schema, example },
      response: accountAnswer,
      problems: [...BODY_PROBLEMS, 409],
    }),
  ),
  {
    method: 'patch',
    path: `${account}/custom-property`,
    operationId: 'setEnvironmentAccountCustomProperties',
    tag: 'environment accounts',
    summary: 'Set custom properties, key by key',
    description: selfNote,
    security: TENANT_ADMIN_OR_SELF,
    body: { schema: setCustomPropertyBody, example: ex.bodies.setCustomProperties },
    response: accountAnswer,
    problems: BODY_PROBLEMS,
  },
  {
    method: 'delete',
    path: `${account}/custom-property`,
    operationId: 'deleteEnvironmentAccountCustomProperty',
    tag: 'environment accounts',
    summary: 'Remove one custom property',
    description: selfNote,
    security: TENANT_ADMIN_OR_SELF,
    body: { schema: deleteCustomPropertyBody, example: ex.bodies.deleteCustomProperty },
    response: accountAnswer,
    problems: BODY_PROBLEMS,
  },
  ...(['disable', 'enable'] as const).map(
    (action): Operation => ({
      method: 'patch',
      path: `${account}/${action}`,
      operationId: `${action}EnvironmentAccount`,
      tag: 'environment accounts',
      summary:
        action === 'disable'
          ? 'Disable an end user (its API and OIDC sessions, grants and tokens end at once)'
          : 'Enable an end user',
      security: TENANT_ADMIN,
      body: { schema: emptyBody, example: ex.bodies.empty, required: false, description: 'No body, or an empty object.' },
      response: accountAnswer,
      problems: BODY_PROBLEMS,
    }),
  ),
];
