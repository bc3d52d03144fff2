import type { Context } from 'koa';
import type { InteractionResults } from 'oidc-provider';
import { isAppError } from '../../errors/app-error.js';
import { isMessageKey, type MessageKey, type Text } from '../../i18n/index.js';
import { isStorableText } from '../../db/unstorable.js';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { SINGLE_FACTOR_ACR } from '../../oidc/provider-config.js';
import type { Services } from '../../services/index.js';
import { RateLimitedError } from '../../services/rate-limits.js';
import type { Csrf } from '../middleware/csrf.js';
import { languageOf, type Views } from './views.js';
import { formField, type Interaction, interactionPath, loadInteraction, requireCsrf, staleInteraction } from './page-forms.js';
import { requestMeta } from '../api/params.js';


/** A scope as the consent page shows it: the catalogue's description, else its name as it is. */
const scopeText = (scope: string): Text => {
  const key = `consent.scope.${scope}`;
  return isMessageKey(key) ? key : { text: scope };
};

/**
 * The essential acr a request asks for in its `claims` parameter (the provider's login prompt
 * names it), when no sign-in of sump's meets it: sump has one, SINGLE_FACTOR_ACR.
 */
function asksForUnmetAcr(interaction: Interaction): boolean {
  const requested = (interaction.prompt.details as { acr?: { value?: unknown; values?: unknown } }).acr;
  if (!requested) return false;
  const accepted: unknown[] = Array.isArray(requested.values) ? requested.values : [requested.value];
  return !accepted.includes(SINGLE_FACTOR_ACR);
}

/** The hosted login and consent steps of an authorization request. */
export function createInteractionPages(deps: { views: Views; csrf: Csrf; services: Services }) {
  const { views, csrf, services } = deps;

  const load = (ctx: Context, issuer: Issuer, uid: string) => loadInteraction(ctx, issuer, uid);

  const clientOf = (issuer: Issuer, interaction: Interaction) => issuer.provider.Client.find(String(interaction.params.client_id));
  const nameOf = (client: Awaited<ReturnType<typeof clientOf>>) => client?.clientName ?? client?.clientId;
  const clientNameOf = async (issuer: Issuer, interaction: Interaction) => nameOf(await clientOf(issuer, interaction));

  async function finish(ctx: Context, issuer: Issuer, result: InteractionResults): Promise<void> {
    const returnTo = await issuer.provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: true,
    });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  function renderLogin(
    ctx: Context,
    issuer: Issuer,
    interaction: Interaction,
    view: { clientName: string | undefined; identifier: string; error?: MessageKey; status?: number; offerResend?: boolean },
  ) {
    views.respond(
      ctx,
      'pages/login.njk',
      {
        title: 'login.title',
        clientName: view.clientName,
        identifier: view.identifier,
        error: view.error,
        csrfToken: csrf.token(ctx),
        action: `${interactionPath(issuer, interaction.uid)}/login`,
        forgotPasswordUrl: `${interactionPath(issuer, interaction.uid)}/forgot-password`,
        signupUrl: services.pageSignup.isOpen(issuer.environment)
          ? `${interactionPath(issuer, interaction.uid)}/signup`
          : undefined,
        // Shown only after the right password for an unverified address: nothing is revealed.
        resendUrl: view.offerResend ? `${interactionPath(issuer, interaction.uid)}/resend-verification` : undefined,
      },
      view.status ?? 200,
    );
  }

  /** Grants what the consent prompt asks for and resumes the authorization request. */
  async function grantConsent(ctx: Context, issuer: Issuer, interaction: Interaction): Promise<void> {
    const { provider } = issuer;
    const accountId = interaction.session?.accountId;
    if (!accountId) throw staleInteraction();
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, issuer, { consent: existing ? {} : { grantId } });
  }

  return {
    /** GET …/interaction/:uid — the step the provider asks for. */
    async show(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      // One lookup for the page: the login step shows its name, the consent step reads it too.
      const client = await clientOf(issuer, interaction);
      const clientName = nameOf(client);
      if (interaction.prompt.name === 'login') {
        // Signing in again would not meet it, and the provider would ask again (OIDC Core §5.5.1.1).
        if (asksForUnmetAcr(interaction)) {
          await finish(ctx, issuer, {
            error: 'unmet_authentication_requirements',
            error_description: 'the requested authentication context (acr) cannot be met',
          });
          return;
        }
        const hint = interaction.params.login_hint;
        renderLogin(ctx, issuer, interaction, { clientName, identifier: typeof hint === 'string' ? hint : '' });
        return;
      }
      if (interaction.prompt.name === 'consent') {
        const asked = String(interaction.params.prompt ?? '').split(' ');
        // A first-party app skips consent unless the request itself asked for it.
        if (client?.metadata().first_party === true && !asked.includes('consent')) {
          await grantConsent(ctx, issuer, interaction);
          return;
        }
        const scopes = String(interaction.params.scope ?? '')
          .split(' ')
          .filter((scope) => scope !== '')
          .map(scopeText);
        views.respond(ctx, 'pages/consent.njk', {
          title: 'consent.title',
          clientName,
          scopes,
          csrfToken: csrf.token(ctx),
          action: `${interactionPath(issuer, interaction.uid)}/consent`,
        });
        return;
      }
      throw staleInteraction();
    },

    /** POST …/interaction/:uid/login — `identifier` (email or username) and `password`. */
    async login(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      requireCsrf(ctx, csrf);
      if (interaction.prompt.name !== 'login') throw staleInteraction();
      const identifier = formField(ctx, 'identifier').slice(0, 320);
      const password = formField(ctx, 'password');
      try {
        const account = await services.environmentAuth.authenticate({
          scope: issuer.scope,
          lookup: { identifier },
          password,
          address: requestMeta(ctx).ipAddress,
        });
        services.metrics.logins.inc({ kind: 'hosted', outcome: 'success' });
        await finish(ctx, issuer, { login: { accountId: account.id, acr: SINGLE_FACTOR_ACR, amr: ['pwd'], remember: true } });
      } catch (error) {
        if (!isAppError(error) || ![401, 403, 429].includes(error.status)) throw error;
        services.metrics.logins.inc({ kind: 'hosted', outcome: 'failure' });
        if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
        const message: MessageKey =
          error.code === 'account.email_unverified'
            ? 'login.email_unverified'
            : error instanceof RateLimitedError
              ? 'common.too_many_attempts'
              : 'login.failed';
        renderLogin(ctx, issuer, interaction, {
          clientName: await clientNameOf(issuer, interaction),
          identifier,
          error: message,
          status: error.status,
          offerResend: error.code === 'account.email_unverified',
        });
      }
    },

    /**
     * POST …/interaction/:uid/resend-verification — `identifier`: a new verification link for
     * the address, one that brings this browser back into this sign-in. Recorded and answered
     * the same whoever it names (rate-limited like the API's resend).
     */
    async resendVerification(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      requireCsrf(ctx, csrf);
      if (interaction.prompt.name !== 'login') throw staleInteraction();
      const identifier = formField(ctx, 'identifier').trim().slice(0, 320);
      if (identifier === '' || !isStorableText(identifier)) throw staleInteraction();
      try {
        await services.emailVerification.resend(
          { kind: 'environment', environment: issuer.environment },
          { identifier },
          { ...requestMeta(ctx), language: languageOf(ctx) },
          { interactionUid: interaction.uid },
        );
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        renderLogin(ctx, issuer, interaction, {
          clientName: await clientNameOf(issuer, interaction),
          identifier,
          error: 'common.too_many_attempts',
          status: 429,
        });
        return;
      }
      views.respond(ctx, 'pages/check-email.njk', {
        title: 'forgot.check_email.title',
        message: 'login.verification_resent',
        loginUrl: interactionPath(issuer, interaction.uid),
      });
    },

    /** POST …/interaction/:uid/consent — `decision` = allow or deny. */
    async consent(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      const interaction = await load(ctx, issuer, uid);
      requireCsrf(ctx, csrf);
      if (interaction.prompt.name !== 'consent') throw staleInteraction();
      if (formField(ctx, 'decision') === 'allow') {
        await grantConsent(ctx, issuer, interaction);
        return;
      }
      await finish(
        ctx,
        issuer,
        { error: 'access_denied', error_description: 'The user denied the request.' },
      );
    },
  };
}

export type InteractionPages = ReturnType<typeof createInteractionPages>;
