import type { Context } from 'koa';
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { isUnstorableInputError } from '../../db/unstorable.js';
import type { MessageKey } from '../../i18n/index.js';
import type { Issuer } from '../../oidc/issuer-registry.js';
import type { ProviderPages } from '../../oidc/provider-config.js';
import { resolveSettings } from '../../services/environment-settings.js';
import type { Services } from '../../services/index.js';
import { RateLimitedError, type RateLimitRule } from '../../services/rate-limits.js';
import { requestMeta } from '../api/params.js';
import { parseProviderForm } from './page-forms.js';
import { useUiLocales, type Views } from './views.js';

/**
 * The device authorization grant's page (RFC 8628), `/oidc/:envId/device`: oidc-provider runs
 * it (its xsrf, the code lookup, the sign-in it starts) and sump renders every step of it.
 * A wrong code counts against the environment's `rateLimits.deviceCodes…`; past them every
 * code is refused with a 429 until the window ends.
 */

/** What a request of the device page hands from sump's router to the provider's hooks. */
interface DeviceState {
  /** verification_uri_complete's `user_code`, shown in the form instead of auto-posted. */
  deviceUserCode?: string;
  /** The code entered was not found: counted once the provider has answered. */
  deviceCodeMissed?: boolean;
}

const stateOf = (ctx: Context | KoaContextWithOIDC) => ctx.state as DeviceState;

/** A code as long as anyone would type; what is longer is never one. */
const MAX_CODE_LENGTH = 64;

/** The message for what went wrong with the code entered (oidc-provider's error names). */
function codeProblem(error: Error | undefined, out: ErrorOut | undefined): { message: MessageKey; status: number } | undefined {
  if (!error) return undefined;
  // Not the person's doing: the provider logs it (server_error), the page says no more.
  if (out?.error === 'server_error') return { message: 'error.generic.message', status: 500 };
  if (isUnstorableInputError(error)) return { message: 'error.unusable_characters.message', status: 400 };
  // The form's xsrf value is not this browser's (another tab, an old page).
  if (out?.error === 'invalid_request' && /form details|xsrf/.test(out.error_description ?? '')) {
    return { message: 'error.form_expired.message', status: 403 };
  }
  switch (error.name) {
    case 'NoCodeError':
      return { message: 'device.no_code', status: 400 };
    case 'NotFoundError':
      return { message: 'device.wrong_code', status: 400 };
    case 'ExpiredError':
      return { message: 'device.expired_code', status: 400 };
    case 'AlreadyUsedError':
      return { message: 'device.used_code', status: 400 };
    default:
      return { message: 'device.failed', status: 400 };
  }
}

/** sump's pages in place of oidc-provider's device-flow HTML (its inline style breaks the CSP). */
export function createDeviceProviderPages(
  views: Views,
): Pick<ProviderPages, 'userCodeInputSource' | 'userCodeConfirmSource' | 'deviceSuccessSource'> {
  return {
    async userCodeInputSource(ctx, form, out, error) {
      const koa = ctx as unknown as Context;
      useUiLocales(koa, ctx.oidc?.route === 'device_resume' ? ctx.oidc.params?.ui_locales : undefined);
      if (error && isDatabaseUnavailable(error)) {
        ctx.set('Retry-After', '5');
        views.respond(koa, 'pages/error.njk', { title: 'error.unavailable.title', message: 'error.unavailable.message' }, 503);
        return;
      }
      if (error?.name === 'AbortedError') {
        views.respond(koa, 'pages/message.njk', { title: 'device.aborted.title', message: 'device.aborted.message' });
        return;
      }
      const session = ctx.oidc?.session as { exp?: unknown; touched?: boolean } | undefined;
      if (error && session && typeof session.exp !== 'number') {
        // A post without this browser's session (another browser, a lost cookie, a forged form):
        // the provider has just made one for a new form but cannot save it at this point (it
        // would fail with a 500), so nothing is saved and the page says to start the page again.
        session.touched = false;
        views.respond(koa, 'pages/error.njk', { title: 'error.form_expired.title', message: 'device.reload' }, 403);
        return;
      }
      const { action, xsrf } = parseProviderForm(form);
      const problem = codeProblem(error, out);
      if (error?.name === 'NotFoundError' && ctx.oidc?.route === 'code_verification') stateOf(ctx).deviceCodeMissed = true;
      const entered = (error as { userCode?: unknown } | undefined)?.userCode ?? (error ? '' : stateOf(ctx).deviceUserCode);
      views.respond(
        koa,
        'pages/device.njk',
        {
          title: 'device.title',
          action,
          xsrf,
          userCode: typeof entered === 'string' ? entered.slice(0, MAX_CODE_LENGTH) : '',
          error: problem?.message,
        },
        problem?.status ?? 200,
      );
    },

    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      const { action, xsrf } = parseProviderForm(form);
      const code = ctx.oidc.entities.DeviceCode as { params?: { ui_locales?: unknown } } | undefined;
      useUiLocales(ctx as unknown as Context, code?.params?.ui_locales);
      views.respond(ctx as unknown as Context, 'pages/device-confirm.njk', {
        title: 'device.confirm.title',
        clientName: client.clientName ?? client.clientId,
        userCode,
        action,
        xsrf,
      });
    },

    async deviceSuccessSource(ctx) {
      useUiLocales(ctx as unknown as Context, ctx.oidc.params?.ui_locales);
      const client = ctx.oidc.client;
      views.respond(ctx as unknown as Context, 'pages/message.njk', {
        title: 'device.done.title',
        message: { key: 'device.done.message', params: { client: client?.clientName ?? client?.clientId ?? '' } },
      });
    },
  };
}

/** The wrong-code limits of an environment, per caller address and in all. */
function missLimits(issuer: Issuer, address: string | null): Array<readonly [string, RateLimitRule]> {
  const limits = resolveSettings(issuer.environment.settings).rateLimits;
  const windowSeconds = limits.windowSeconds;
  const place = issuer.environment.id;
  return [
    [`device-code-miss:${place}`, { limit: limits.deviceCodesPerEnvironment, windowSeconds }],
    ...(address ? [[`device-code-miss-address:${place}:${address}`, { limit: limits.deviceCodesPerAddress, windowSeconds }] as const] : []),
  ];
}

/** The router's side of the device page: the attempt limits around the provider, the prefilled code. */
export function createDevicePage(deps: { views: Views; services: Services }) {
  const { views, services } = deps;

  function tooMany(ctx: Context, error: RateLimitedError): void {
    useUiLocales(ctx, undefined);
    ctx.set('Retry-After', String(error.retryAfterSeconds));
    views.respond(ctx, 'pages/error.njk', { title: 'device.title', message: 'common.too_many_attempts' }, 429);
  }

  return {
    /** GET or POST /oidc/:envId/device; `provider` runs the environment's provider for it. */
    async handle(ctx: Context, issuer: Issuer, provider: () => Promise<void>): Promise<void> {
      const limits = missLimits(issuer, requestMeta(ctx).ipAddress);
      if (ctx.method === 'POST') {
        // Every code (right ones too) waits while this caller or the environment is over its limit.
        try {
          await services.rateLimits.check(limits);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          return tooMany(ctx, error);
        }
      }
      if (ctx.method === 'GET') {
        // verification_uri_complete: oidc-provider would post the code with an inline script;
        // sump shows its own form with the code filled in, one click away, the same on any browser.
        const query = new URLSearchParams(ctx.querystring);
        const userCode = query.get('user_code');
        if (userCode !== null) {
          stateOf(ctx).deviceUserCode = userCode.slice(0, MAX_CODE_LENGTH);
          query.delete('user_code');
          ctx.querystring = query.toString();
        }
      }
      await provider();
      if (stateOf(ctx).deviceCodeMissed) {
        try {
          await services.rateLimits.hit(limits);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          tooMany(ctx, error);
        }
      }
    },
  };
}

export type DevicePage = ReturnType<typeof createDevicePage>;
