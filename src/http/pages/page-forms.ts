import type { Context } from 'koa';
import type { MessageKey } from '../../i18n/index.js';
import type { Issuer } from '../../oidc/issuer-registry.js';
import type { Csrf } from '../middleware/csrf.js';
import { useUiLocales } from './views.js';

/** A page's failure as the person sees it: a status, a title and a message, from the catalogue. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: MessageKey,
    readonly userMessage: MessageKey,
  ) {
    super(userMessage);
  }
}

/** The sign-in a form belongs to is not this browser's, has moved on or has expired. */
/**
 * The action and xsrf value of a form oidc-provider hands to one of its page hooks (logout,
 * device): sump renders its own form with them.
 */
export function parseProviderForm(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (!action || !xsrf) throw new Error('unexpected form from oidc-provider');
  return { action: action.replace(/&amp;/g, '&'), xsrf };
}

export const staleInteraction = () => new PageError(400, 'error.stale.title', 'error.stale.message');

/** A link from a mail that is expired, used, or not of this place. */
export const invalidLink = () => new PageError(400, 'error.invalid_link.title', 'error.invalid_link.message');

/** 403 "the form expired" unless the posted form carries this browser's CSRF token. */
export function requireCsrf(ctx: Context, csrf: Csrf): void {
  if (!csrf.verify(ctx, formField(ctx, 'csrf'))) throw new PageError(403, 'error.form_expired.title', 'error.form_expired.message');
}

/** A posted form field as a string: '' when it is missing or not a string. */
export function formField(ctx: Context, name: string): string {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/** A sign-in in progress, as oidc-provider details it. */
export type Interaction = Awaited<ReturnType<Issuer['provider']['interactionDetails']>>;

/** The path of a sign-in's pages: its login step, and its sub-pages below it. */
export const interactionPath = (issuer: Issuer, uid: string): string => `${issuer.issuerPath}/interaction/${uid}`;

/**
 * This browser's interaction `uid` (throws SessionNotFound without its cookie), its `ui_locales`
 * applied to the page; another uid, or another step than `step`, is the out-of-date page.
 */
export async function loadInteraction(ctx: Context, issuer: Issuer, uid: string, step?: 'login'): Promise<Interaction> {
  const interaction = await issuer.provider.interactionDetails(ctx.req, ctx.res);
  useUiLocales(ctx, interaction.params.ui_locales);
  if (interaction.uid !== uid || (step !== undefined && interaction.prompt.name !== step)) throw staleInteraction();
  return interaction;
}
