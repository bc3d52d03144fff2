import { AppError, type FieldError } from './app-error.js';

/** Every error sump answers with, by area; the code is the stable contract, the text is not. */
export const errors = {
  // request shape
  malformedJson: () => new AppError('request.malformed_json', 400, 'The request body is not valid JSON.'),
  validation: (fieldErrors: readonly FieldError[]) =>
    new AppError('request.validation_failed', 400, 'The request is not valid.', fieldErrors),
  invalidId: (field: string) =>
    new AppError('request.invalid_id', 400, `The ${field} in the path does not have the right shape.`, [
      { field, message: 'invalid id' },
    ]),
  unstorableInput: () =>
    new AppError('request.invalid_characters', 400, 'The request holds characters that cannot be stored (NUL).'),
  unsupportedMediaType: () =>
    new AppError('request.unsupported_media_type', 415, 'Requests with a body must be application/json.'),
  bodyTooLarge: () => new AppError('request.too_large', 413, 'The request body is too large.'),
  notFoundRoute: () => new AppError('request.not_found', 404, 'There is nothing at this path.'),
  methodNotAllowed: () => new AppError('request.method_not_allowed', 405, 'This method is not allowed here.'),
  crossOrigin: () =>
    new AppError('request.cross_origin', 403, 'Cross-origin requests with a session cookie are refused.'),

  // authentication and authorisation
  unauthenticated: () => new AppError('auth.unauthenticated', 401, 'A valid session or API key is required.'),
  invalidCredentials: () => new AppError('auth.invalid_credentials', 401, 'The credentials are not valid.'),
  emailUnverified: () =>
    new AppError('account.email_unverified', 403, 'The email address must be verified before signing in.'),
  forbidden: () => new AppError('auth.forbidden', 403, 'Your role does not allow this action.'),
  invalidToken: () => new AppError('auth.invalid_token', 400, 'The link is not valid: it may have expired or been used already.'),
  sessionRequired: () =>
    new AppError('auth.session_required', 403, 'API keys are made and revoked through a session, never with a key.'),
  tenantSignupClosed: () =>
    new AppError('tenant.signup_closed', 403, 'Creating tenants needs the operator token on this server.'),
  signupDisabled: () => new AppError('environment.signup_disabled', 403, 'Sign-up is turned off for this environment.'),

  // resources
  tenantNotFound: () => new AppError('tenant.not_found', 404, 'The tenant does not exist.'),
  environmentNotFound: () => new AppError('environment.not_found', 404, 'The environment does not exist.'),
  accountNotFound: () => new AppError('account.not_found', 404, 'The account does not exist.'),
  clientNotFound: () => new AppError('client.not_found', 404, 'The client does not exist.'),
  apiKeyNotFound: () => new AppError('api_key.not_found', 404, 'The API key does not exist.'),

  // uniqueness and state
  identifierTaken: (field: 'email' | 'username' | 'phone', path = field) =>
    new AppError(`account.${field}_taken`, 409, `An account with this ${field} already exists.`, [
      { field: path, message: `${field} is already in use` },
    ]),
  resourceNotFound: () => new AppError('resource.not_found', 404, 'The API resource does not exist.'),
  resourceIdentifierTaken: () =>
    new AppError('resource.identifier_taken', 409, 'An API resource with this identifier already exists in the environment.', [
      { field: 'identifier', message: 'identifier is already in use' },
    ]),
  resourceInUse: () =>
    new AppError('resource.in_use', 409, 'Clients still list this resource in their allowedResources: remove it there first.'),
  clientHasNoSecret: () =>
    new AppError('client.no_secret', 409, 'This client authenticates without a shared secret: there is none to rotate.'),
  lastOwner: () =>
    new AppError('tenant.last_owner', 409, 'A tenant keeps at least one enabled owner: this change would leave none.'),
  currentPasswordWrong: () =>
    new AppError('auth.current_password_wrong', 400, 'The current password is not correct.', [
      { field: 'currentPassword', message: 'is not the current password' },
    ]),
  environmentNameTaken: (path = 'name') =>
    new AppError('environment.name_taken', 409, 'An environment with this name already exists in the tenant.', [
      { field: path, message: 'name is already in use' },
    ]),

  // infrastructure
  unavailable: () =>
    new AppError('service.unavailable', 503, 'The service is temporarily unavailable. Try again shortly.'),
  internal: () => new AppError('internal', 500, 'Something went wrong on our side.'),
} as const;
