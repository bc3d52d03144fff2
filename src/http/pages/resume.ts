import { createHmac } from 'node:crypto';
import type { Context } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { Issuer } from '../../oidc/issuer-registry.js';
import { SINGLE_FACTOR_ACR } from '../../oidc/provider-config.js';
import { constantTimeEqual, deriveMacKey } from '../../services/crypto.js';
import type { Services } from '../../services/index.js';
import { useLinkLanguage, type Views } from './views.js';
import type { MessageKey } from '../../i18n/index.js';
import { PageError, type Interaction } from './page-forms.js';

/** What was done with a link asked from a sign-in: an address verified (whose), or a password set. */
export type LinkOutcome = { readonly kind: 'verified'; readonly accountId: string } | { readonly kind: 'reset' };

/** How long the way back into a sign-in stays open after the link was used. */
const RESUME_LIFETIME_SECONDS = 10 * 60;
const RESUME_VALUE = /^(verified|reset)\.([0-9a-f-]{36}|-)\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

const DONE: Readonly<Record<LinkOutcome['kind'], { title: MessageKey; message: MessageKey }>> = {
  verified: { title: 'verify.done.title', message: 'verify.done.message' },
  reset: { title: 'reset.done.title', message: 'reset.done.message' },
};

/**
 * The way back into the sign-in a link was asked from (DESIGN.md: "A link token remembers the
 * interaction it was made in"). The page a mail opens (…/verify-email, …/reset-password) cannot
 * see oidc-provider's interaction cookie, whose path is the interaction's own
 * (…/interaction/:uid), so once the link is used it sends the browser to
 * …/interaction/:uid/resume with a value signed under AUTH_SECRET that says what was done. There
 * the cookie decides: only the browser that started that sign-in has it, and only while the
 * sign-in lives; any other browser (and a sign-in that is over) gets the "done, go back to the
 * app" page, and nothing of the interaction changes.
 */
export function createInteractionResume(deps: { secret: string; views: Views; services: Services }) {
  const { views, services } = deps;
  const key = deriveMacKey(deps.secret, 'interaction-resume');
  const mac = (issuer: Issuer, uid: string, kind: string, accountId: string, expires: string) =>
    createHmac('sha256', key).update(`${issuer.environment.id}|${uid}|${kind}|${accountId}|${expires}`).digest('base64url');

  function read(issuer: Issuer, uid: string, value: unknown): LinkOutcome | undefined {
    const match = typeof value === 'string' ? RESUME_VALUE.exec(value) : null;
    if (!match) return undefined;
    const [, kind = '', accountId = '', expires = '', signature = ''] = match;
    if (!constantTimeEqual(mac(issuer, uid, kind, accountId, expires), signature)) return undefined;
    if (Number(expires) * 1000 < Date.now()) return undefined;
    if (kind === 'reset') return { kind };
    return accountId === '-' ? undefined : { kind: 'verified', accountId };
  }

  function showDone(ctx: Context, issuer: Issuer, outcome: LinkOutcome): void {
    views.respond(ctx, 'pages/message.njk', DONE[outcome.kind]);
  }

  return {
    showDone,

    /** Where a page sends the browser after a link asked from interaction `uid` was used. */
    urlFor(issuer: Issuer, uid: string, outcome: LinkOutcome): string {
      const accountId = outcome.kind === 'verified' ? outcome.accountId : '-';
      const expires = String(Math.floor(Date.now() / 1000) + RESUME_LIFETIME_SECONDS);
      const value = `${outcome.kind}.${accountId}.${expires}.${mac(issuer, uid, outcome.kind, accountId, expires)}`;
      return `${issuer.issuerPath}/interaction/${encodeURIComponent(uid)}/resume?r=${encodeURIComponent(value)}`;
    },

    /**
     * GET …/interaction/:uid/resume?r=… — when this browser's interaction `uid` is still at its
     * login step: after a verification, it finishes that step as the verified account (the app's
     * flow goes on to consent and its callback); after a reset, it shows the login step again.
     * Otherwise the "done" page.
     */
    async resume(ctx: Context, issuer: Issuer, uid: string): Promise<void> {
      // The language of the page that sent the browser here (the link's), as its `lang` says.
      useLinkLanguage(ctx, ctx.query.lang);
      const outcome = read(issuer, uid, ctx.query.r);
      if (!outcome) throw new PageError(400, 'error.stale.title', 'error.resume_expired.message');
      let interaction: Interaction;
      try {
        // Reads this browser's interaction cookie: SessionNotFound without it (another browser,
        // an interaction that is over or expired).
        interaction = await issuer.provider.interactionDetails(ctx.req, ctx.res);
      } catch (error) {
        if (error instanceof oidcErrors.SessionNotFound) return showDone(ctx, issuer, outcome);
        throw error;
      }
      if (interaction.uid !== uid || interaction.prompt.name !== 'login') return showDone(ctx, issuer, outcome);
      if (outcome.kind === 'reset') {
        ctx.status = 303;
        ctx.redirect(`${issuer.issuerPath}/interaction/${encodeURIComponent(uid)}`);
        return;
      }
      if (!(await services.pageSignup.canResumeAs(issuer.environment, outcome.accountId))) return showDone(ctx, issuer, outcome);
      const returnTo = await issuer.provider.interactionResult(
        ctx.req,
        ctx.res,
        { login: { accountId: outcome.accountId, acr: SINGLE_FACTOR_ACR, remember: true } },
        { mergeWithLastSubmission: true },
      );
      ctx.status = 303;
      ctx.redirect(returnTo);
    },
  };
}

export type InteractionResume = ReturnType<typeof createInteractionResume>;
