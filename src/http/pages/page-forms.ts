import type { Context } from 'koa';
import type { MessageKey } from '../../i18n/index.js';

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
export const staleInteraction = () => new PageError(400, 'error.stale.title', 'error.stale.message');

/** A posted form field as a string: '' when it is missing or not a string. */
export function formField(ctx: Context, name: string): string {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}
