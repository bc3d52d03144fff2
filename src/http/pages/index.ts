import type { Context, Middleware, Next } from 'koa';
import { koaBody } from 'koa-body';
import { errors as oidcErrors } from 'oidc-provider';
import { isAppError } from '../../errors/app-error.js';
import type { Issuer, IssuerRegistry } from '../../oidc/issuer-registry.js';
import type { Logger } from '../../logger.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { createCsrf } from '../middleware/csrf.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { isUnstorableInputError } from '../../db/unstorable.js';
import { resolveSettings } from '../../services/environment-settings.js';
import { createForgotPasswordPage } from './forgot-password.js';
import { createInteractionPages } from './interaction.js';
import { createResetPasswordPage } from './reset-password.js';
import { GET_OR_POST_ENDPOINTS, redirectPostAsGet } from './authorization-post.js';
import { createInteractionResume, type LinkOutcome } from './resume.js';
import { createSignupPage } from './signup.js';
import { createVerifyEmailPage } from './verify-email.js';
import { createDevicePage } from './device.js';
import { serveBrandingCss } from './branding.js';
import { brandOf } from './page-context.js';
import { languageOf, setPageHeaders, useUiLocales, type Views } from './views.js';
import type { Text } from '../../i18n/index.js';
import { PageError } from './page-forms.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISSUER_PATH = /^\/oidc\/([^/]+)(\/.*)?$/;
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|consent|forgot-password|signup|resume|resend-verification))?$/;
/** Endpoints that answer JSON: a failure there is an OAuth error body, not a page. */
const JSON_ENDPOINTS = /^\/(token|me|token\/introspection|token\/revocation|device\/auth|jwks|\.well-known\/.*|reg.*)$/;

/** Endpoints whose CORS answer depends on the client the request authenticates as. */
const CLIENT_CORS_ENDPOINTS = /^\/(token|me|token\/introspection|token\/revocation|device\/auth)$/;

const formBody = koaBody({ json: false, urlencoded: true, multipart: false, text: false, formLimit: '16kb' });

/**
 * Reads a form posted to a step of an interaction. When the body is refused (too large,
 * unreadable) the error page still speaks the sign-in's language (its ui_locales).
 */
async function readStepForm(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
  try {
    await formBody(ctx, async () => undefined);
  } catch (error) {
    const interaction = await issuer.provider.Interaction.find(uid).catch(() => undefined);
    useUiLocales(ctx, interaction?.params.ui_locales);
    throw error;
  }
}

/** The not-found page, branded by the request's issuer when there is one (views.respond). */
function notFoundPage(views: Views, ctx: Context) {
  views.respond(ctx, 'pages/error.njk', { title: 'error.not_found.title', message: 'error.not_found.message' }, 404);
}

/** Endpoints where a client asks for a grant (token, device authorization). */
const GRANT_ENDPOINTS = /^\/(token|device\/auth)$/;

/** oidc-provider's words for a client that asks for a grant it was not registered for. */
const GRANT_NOT_ALLOWED = /^(requested grant type|urn:ietf:params:oauth:grant-type:device_code) is not allowed for this client$/;

/**
 * A client asking for a grant it was not registered for hears RFC 6749 §5.2's
 * `unauthorized_client` (RFC 8628 §3.2 for the device grant); oidc-provider says invalid_request.
 */
function refusedGrantAsUnauthorizedClient(ctx: Context, rest: string): void {
  const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
  if (
    GRANT_ENDPOINTS.test(rest) &&
    ctx.status === 400 &&
    body?.error === 'invalid_request' &&
    typeof body.error_description === 'string' &&
    GRANT_NOT_ALLOWED.test(body.error_description)
  ) {
    ctx.body = { error: 'unauthorized_client', error_description: 'the client is not registered for this grant type' };
  }
}

/** Endpoints a browser is sent to: their errors are pages, whatever the request's Accept says. */
const BROWSER_ENDPOINTS = /^\/(auth|session\/end|session\/end\/confirm)$/;

/** Runs an environment's provider as if mounted at its issuer path (what koa-mount does). */
async function runProvider(ctx: Context, issuer: Issuer, rest: string): Promise<void> {
  // oidc-provider picks a JSON or an HTML error by the request's Accept (JSON for `*/*`).
  if (BROWSER_ENDPOINTS.test(rest)) ctx.request.headers.accept = 'text/html';
  const original = ctx.path;
  (ctx as Context & { mountPath?: string }).mountPath = issuer.issuerPath;
  ctx.path = rest;
  try {
    // A path the provider does not serve ends here, a 404 the router answers with its page.
    await issuer.handle(ctx, async () => undefined);
  } finally {
    ctx.path = original;
  }
  refusedGrantAsUnauthorizedClient(ctx, rest);
  // oidc-provider allows the request's Origin until a client is resolved and checked; an answer
  // for which no client authenticated (unknown client_id, bad token, a known client_id with a
  // wrong secret or assertion: invalid_client) must not be readable cross-origin.
  if (CLIENT_CORS_ENDPOINTS.test(rest) && ctx.method !== 'OPTIONS') {
    const resolved = (ctx as Context & { oidc?: { entities?: { Client?: unknown } } }).oidc?.entities?.Client;
    const refused = (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client';
    if (!resolved || refused) {
      ctx.remove('Access-Control-Allow-Origin');
      ctx.remove('Access-Control-Expose-Headers');
    }
  }
}

/**
 * Everything under /oidc/:environmentId: sump's hosted pages for the interaction steps, then the
 * environment's own oidc-provider for the protocol endpoints.
 */
export function createOidcRouter(deps: HttpDeps & { views: Views }): Middleware<AppState> {
  const { views, issuers, logger } = deps;
  const csrf = createCsrf({ secret: deps.config.authSecret, secure: deps.config.publicUrl.startsWith('https://') });
  const interaction = createInteractionPages({ views, csrf, services: deps.services });
  const forgotPage = createForgotPasswordPage({ views, csrf, services: deps.services });
  const resetPage = createResetPasswordPage({ views, csrf, services: deps.services });
  const verifyPage = createVerifyEmailPage({ views, csrf, services: deps.services });
  const signupPage = createSignupPage({ views, csrf, services: deps.services });
  const resume = createInteractionResume({ views, secret: deps.config.authSecret, services: deps.services });
  const device = createDevicePage({ views, services: deps.services });

  async function route(ctx: Context, next: Next, issuers: IssuerRegistry): Promise<void> {
    const match = ISSUER_PATH.exec(ctx.path);
    if (!match) return next();
    const [, environmentId = '', rest = '/'] = match;
    // Every answer under an issuer carries the page CSP before the provider writes a page.
    setPageHeaders(ctx);
    if (JSON_ENDPOINTS.test(rest)) ctx.remove('Cache-Control');
    // The issuer's URL is the lower-case id (ids are answered that way): another spelling would
    // serve a document whose `issuer` differs from the URL it was fetched from (RFC 8414 §3.3).
    const issuer = UUID.test(environmentId) && environmentId === environmentId.toLowerCase() ? await issuers.get(environmentId) : undefined;
    if (!issuer) {
      // No issuer here: a protocol endpoint answers in its own format, a browser gets the page.
      if (!JSON_ENDPOINTS.test(rest)) return notFoundPage(views, ctx);
      ctx.status = 404;
      ctx.body = { error: 'invalid_request', error_description: 'there is no issuer at this address' };
      return;
    }
    (ctx.state as { issuer?: Issuer }).issuer = issuer;

    if (rest === '/branding.css' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      return serveBrandingCss(ctx, resolveSettings(issuer.environment.settings));
    }

    // The reset / set-password page a mail links to: GET shows the form, only the POST uses the token.
    if (rest === '/reset-password') {
      const target = {
        place: { kind: 'environment' as const, environment: issuer.environment },
        action: `${issuer.issuerPath}/reset-password`,
        brand: brandOf(issuer),
        resumeUrl: (uid: string, outcome: LinkOutcome) => resume.urlFor(issuer, uid, outcome),
      };
      if (ctx.method === 'GET') return resetPage.show(ctx, target);
      if (ctx.method === 'POST') {
        await formBody(ctx, async () => undefined);
        return resetPage.submit(ctx, target);
      }
      return notFoundPage(views, ctx);
    }

    // The verify-email page a mail links to: GET asks to confirm, only the POST verifies.
    if (rest === '/verify-email') {
      const target = {
        place: { kind: 'environment' as const, environment: issuer.environment },
        action: `${issuer.issuerPath}/verify-email`,
        brand: brandOf(issuer),
        resumeUrl: (uid: string, outcome: LinkOutcome) => resume.urlFor(issuer, uid, outcome),
      };
      if (ctx.method === 'GET') return verifyPage.show(ctx, target);
      if (ctx.method === 'POST') {
        await formBody(ctx, async () => undefined);
        return verifyPage.submit(ctx, target);
      }
      return notFoundPage(views, ctx);
    }

    const step = INTERACTION_PATH.exec(rest);
    if (step) {
      const [, uid = '', action] = step;
      if (action === 'forgot-password') {
        if (ctx.method === 'GET') return forgotPage.show(ctx, issuer, uid);
        if (ctx.method === 'POST') {
          await readStepForm(ctx, issuer, uid);
          return forgotPage.submit(ctx, issuer, uid);
        }
        return notFoundPage(views, ctx);
      }
      if (action === 'signup') {
        if (ctx.method === 'GET') return signupPage.show(ctx, issuer, uid);
        if (ctx.method === 'POST') {
          await readStepForm(ctx, issuer, uid);
          return signupPage.submit(ctx, issuer, uid);
        }
        return notFoundPage(views, ctx);
      }
      if (action === 'resend-verification') {
        if (ctx.method !== 'POST') return notFoundPage(views, ctx);
        await readStepForm(ctx, issuer, uid);
        return interaction.resendVerification(ctx, issuer, uid);
      }
      if (action === 'resume') {
        if (ctx.method === 'GET') return resume.resume(ctx, issuer, uid);
        return notFoundPage(views, ctx);
      }
      if (ctx.method === 'GET' && !action) return interaction.show(ctx, issuer, uid);
      if (ctx.method === 'POST' && action) {
        await readStepForm(ctx, issuer, uid);
        return action === 'login' ? interaction.login(ctx, issuer, uid) : interaction.consent(ctx, issuer, uid);
      }
      return notFoundPage(views, ctx);
    }

    // Text the database cannot hold never reaches the provider (it would store it and fail).
    if (/%00/.test(ctx.querystring)) {
      if (JSON_ENDPOINTS.test(rest)) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'the request holds a NUL character' };
        return;
      }
      throw new PageError(400, 'error.generic.title', 'error.unusable_characters.message');
    }
    // Authorization and end-session by POST: the same request by GET (authorization-post.ts).
    if (ctx.method === 'POST' && GET_OR_POST_ENDPOINTS.test(rest)) return redirectPostAsGet(ctx, issuer.issuerPath, rest);
    // The device page (RFC 8628) is the provider's, with sump's attempt limits around it.
    const provide = () => runProvider(ctx, issuer, rest);
    if (rest === '/device') await device.handle(ctx, issuer, provide);
    else await provide();
    if (ctx.status === 404 && ctx.body === undefined) notFoundPage(views, ctx);
  }

  return async function oidc(ctx, next) {
    if (ctx.path === '/assets/sump.css') {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = views.stylesheet;
      return;
    }
    if (ctx.path === '/favicon.ico' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      // Browsers ask every origin for one: sump has none, and says so without an error.
      ctx.status = 204;
      ctx.set('Cache-Control', 'public, max-age=86400');
      return;
    }
    try {
      await route(ctx, next, issuers);
    } catch (error) {
      renderFailure(ctx, error, views, logger);
    }
  };
}

/** A 4xx that a body parser or koa raised about the request itself (too large, unreadable). */
function isClientHttpError(error: unknown): error is { status: number } {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true;
}

function renderFailure(ctx: Context, error: unknown, views: Views, logger: Logger): void {
  const rest = ISSUER_PATH.exec(ctx.path)?.[2] ?? '/';
  if (isDatabaseUnavailable(error)) {
    logger.warn({ err: error }, 'database unavailable');
    ctx.set('Retry-After', '5');
    if (JSON_ENDPOINTS.test(rest)) {
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable', error_description: 'try again shortly' };
      return;
    }
    views.respond(
      ctx,
      'pages/error.njk',
      { title: 'error.unavailable.title', message: 'error.unavailable.message' },
      503,
    );
    return;
  }
  let status = 500;
  let title: Text = 'error.generic.title';
  let message: Text = 'error.generic.message';
  if (error instanceof PageError) {
    ({ status, title } = error);
    message = error.userMessage;
  } else if (isUnstorableInputError(error)) {
    status = 400;
    message = 'error.unusable_characters.message';
  } else if (error instanceof oidcErrors.SessionNotFound) {
    // Before the generic 4xx below: the provider's errors are exposed 400s too.
    status = 400;
    title = 'error.stale.title';
    message = 'error.session_lost.message';
  } else if (isClientHttpError(error)) {
    status = error.status;
    message = status === 413 ? 'error.too_large.message' : 'error.unreadable.message';
  } else if (isAppError(error) && error.status < 500) {
    status = error.status;
    // The API's English detail; a page in another language says it more generally.
    message = languageOf(ctx) === 'en' ? { text: error.detail } : 'error.request_failed.message';
  } else {
    logger.error({ err: error }, 'page error');
  }
  views.respond(ctx, 'pages/error.njk', { title, message }, status);
}
