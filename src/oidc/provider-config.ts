import type { JWK } from 'jose';
import type {
  Adapter,
  AdapterPayload,
  Client,
  Configuration,
  FindAccount,
  KoaContextWithOIDC,
  ErrorOut,
} from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import type { ApiResourceRow } from '../db/queries/api-resources.js';
import type { ClientRow } from '../db/queries/clients.js';
import type { EnvironmentSettings } from '../services/environment-settings.js';
import { CLAIMS_BY_SCOPE } from './account-claims.js';
import { LANGUAGES } from '../i18n/index.js';

/** The pages oidc-provider renders itself, replaced by sump's (src/http/pages). */
export interface ProviderPages {
  renderError(ctx: KoaContextWithOIDC, out: ErrorOut, error: Error): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
  /** The device flow's pages (RFC 8628): enter the code, confirm it, signed in. */
  userCodeInputSource(ctx: KoaContextWithOIDC, form: string, out?: ErrorOut, error?: Error): Promise<void>;
  userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, client: Client, deviceInfo: unknown, userCode: string): Promise<void>;
  deviceSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

export interface ProviderConfigInput {
  readonly issuerPath: string;
  readonly settings: EnvironmentSettings;
  readonly jwks: JWK[];
  readonly cookieKeys: string[];
  readonly secureCookies: boolean;
  /** Outside production sump may fetch loopback and private addresses (a developer's own RP). */
  readonly production: boolean;
  readonly adapter: (model: string) => Adapter;
  readonly findAccount: FindAccount;
  /** The environment's API resource with this identifier (an access token's audience). */
  readonly findResource: (identifier: string) => Promise<ApiResourceRow | undefined>;
  readonly pages: ProviderPages;
}

/**
 * The `acr` of every sign-in: one factor (the password, or a link mailed to the address). The ID
 * token carries it when the app asks (acr_values or the claims parameter); discovery lists it
 * (acr_values_supported).
 */
export const SINGLE_FACTOR_ACR = 'urn:sump:loa:1fa';

/** sump's own client properties, carried in the provider's client metadata. */
const EXTRA_CLIENT_METADATA = [
  'first_party',
  'require_pkce',
  'allowed_cors_origins',
  'allowed_resources',
  'resource_scopes',
] as const;

/** The OpenID scopes the provider knows; any other scope a client lists is an API resource's. */
const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'address'];

/** A client row as oidc-provider metadata (snake_case, wire names). */
export function toClientMetadata(client: ClientRow, secret: string | undefined): AdapterPayload {
  const codeFlow = client.grantTypes.includes('authorization_code');
  return {
    client_id: client.clientId,
    ...(secret !== undefined ? { client_secret: secret } : {}),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: codeFlow ? ['code'] : [],
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    // oidc-provider refuses a client whose `scope` holds a scope it does not know: the OpenID
    // scopes go there (at least `openid`, since an empty one would allow them all), the
    // resources' scopes beside it.
    scope: client.scopes.filter((scope) => OIDC_SCOPES.includes(scope)).join(' ') || 'openid',
    resource_scopes: client.scopes.filter((scope) => !OIDC_SCOPES.includes(scope)),
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    ...(client.jwks ? { jwks: client.jwks as AdapterPayload['jwks'] } : {}),
    ...(client.jwksUri ? { jwks_uri: client.jwksUri } : {}),
    // With a back-channel URI the ID token and the logout token carry the session's sid, so the
    // client can end exactly the session that ended.
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    first_party: client.firstParty,
    require_pkce: client.requirePkce,
    allowed_cors_origins: client.allowedCorsOrigins,
    allowed_resources: client.allowedResources,
  };
}

const originOf = (uri: string): string | undefined => {
  try {
    const { origin } = new URL(uri);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
};

/** The browser origins a client's token, userinfo, introspection and revocation calls may come from. */
function clientAllowsOrigin(client: Client, origin: string): boolean {
  if (origin === 'null') return false;
  const metadata = client.metadata();
  const allowed = new Set<string>((metadata.allowed_cors_origins as string[] | undefined) ?? []);
  for (const uri of (metadata.redirect_uris as string[] | undefined) ?? []) {
    const redirectOrigin = originOf(uri);
    if (redirectOrigin) allowed.add(redirectOrigin);
  }
  return allowed.has(origin);
}

/**
 * The whole oidc-provider configuration of one environment, from its settings and keys. One
 * function builds it for every environment; nothing here is process-wide.
 */
export function buildProviderConfiguration(input: ProviderConfigInput): Configuration {
  const { settings, issuerPath } = input;
  const { tokens, sessions } = settings;

  return {
    adapter: input.adapter,
    findAccount: input.findAccount,
    jwks: { keys: input.jwks as NonNullable<Configuration['jwks']>['keys'] },
    claims: Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
    scopes: OIDC_SCOPES,
    discovery: {
      // The languages of the hosted pages, chosen by ui_locales (src/i18n).
      ui_locales_supported: [...LANGUAGES],
      // Request objects are refused (features.requestObjects): said outright, since Discovery
      // reads a missing request_uri_parameter_supported as true.
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    },
    // What every sign-in of sump's meets (a password, or a link mailed to the address).
    acrValues: [SINGLE_FACTOR_ACR],
    responseTypes: ['code'],
    subjectTypes: ['public'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    extraClientMetadata: { properties: [...EXTRA_CLIENT_METADATA] },
    pkce: {
      // Public clients always; confidential ones unless their registration turned it off.
      required: (_ctx, client) =>
        client.clientAuthMethod === 'none' || client.metadata().require_pkce !== false,
    },
    clientBasedCORS: (_ctx, origin, client) => clientAllowsOrigin(client, origin),
    cookies: {
      keys: input.cookieKeys,
      // The session cookie lives under the issuer path: several environments share one host.
      long: { httpOnly: true, sameSite: 'lax', path: issuerPath, secure: input.secureCookies },
      short: { httpOnly: true, sameSite: 'lax', secure: input.secureCookies },
      names: { session: '_session', interaction: '_interaction', resume: '_interaction_resume' },
    },
    interactions: {
      url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The client the token was issued to, or a client its resource names as introspector.
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          const audience = (token as { aud?: unknown }).aud;
          if (typeof audience !== 'string') return false;
          const resource = await input.findResource(audience);
          return resource?.introspectors.includes(client.clientId) ?? false;
        },
      },
      resourceIndicators: {
        enabled: true,
        // No resource named: the access token is the opaque one for userinfo.
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, identifier, client) => {
          const metadata = client.metadata();
          const allowed = (metadata.allowed_resources as string[] | undefined) ?? [];
          const resource = allowed.includes(identifier) ? await input.findResource(identifier) : undefined;
          if (!resource) throw new oidcErrors.InvalidTarget();
          // What the resource offers and the client registered, both.
          const clientScopes = new Set((metadata.resource_scopes as string[] | undefined) ?? []);
          return {
            scope: resource.scopes.filter((scope) => clientScopes.has(scope)).join(' '),
            audience: resource.identifier,
            accessTokenTTL: resource.accessTokenTtl ?? tokens.accessTokenTtl,
            accessTokenFormat: resource.accessTokenFormat,
            ...(resource.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' as const } } } : {}),
          };
        },
      },
      revocation: {
        enabled: true,
        // Another client's token: answer 200 and do nothing, so nothing is learned about it.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: input.pages.logoutSource,
        postLogoutSuccessSource: input.pages.postLogoutSuccessSource,
      },
      // RFC 8628 at /device/auth; the page a person enters the code on is /device (sump's pages,
      // the attempts limited there). Eight base-20 characters (≈34.5 bits, RFC 8628 §6.1).
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        // Nothing of the device (its address, its user agent) is stored with its code.
        deviceInfo: () => ({}),
        userCodeInputSource: input.pages.userCodeInputSource,
        userCodeConfirmSource: input.pages.userCodeConfirmSource,
        successSource: input.pages.deviceSuccessSource,
      },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
      // `request` answers request_not_supported and `request_uri` request_uri_not_supported
      // (OIDC Core §6): unsigned objects add nothing to the query, and a request_uri would have
      // sump fetch what a client names. docs/conformance.md.
      requestObjects: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
    },
    renderError: input.pages.renderError,
    // What sump fetches (jwks_uri, back-channel logout): oidc-provider's own agent refuses
    // private, loopback and link-local addresses at connect time (kept in production), within
    // 2.5 s; no redirect is followed; a JWKS is at most 64 KiB.
    fetch: (resource, init) =>
      globalThis.fetch(resource, { ...init, redirect: 'error', ...(input.production ? {} : { dispatcher: undefined }) }),
    fetchResponseBodyLimits: { jwks_uri: 64 * 1024 },
    // Every use of a refresh token rotates it.
    rotateRefreshToken: () => true,
    ttl: {
      // A resource's own accessTokenTtl (set in getResourceServerInfo) wins over the environment's.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? tokens.accessTokenTtl,
      AuthorizationCode: 60,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? tokens.accessTokenTtl,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      IdToken: tokens.idTokenTtl,
      RefreshToken: tokens.refreshTokenTtl,
      Grant: tokens.refreshTokenTtl,
      Interaction: 3600,
      // Idle window from the session's last save (each sign-in through it), never past its
      // absolute lifetime from when it began.
      Session: (_ctx, session) => {
        const now = Math.floor(Date.now() / 1000);
        const remaining = (session.iat ?? now) + sessions.lifetimeSeconds - now;
        return Math.max(1, Math.min(sessions.idleSeconds, remaining));
      },
    },
  };
}
