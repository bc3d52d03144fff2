import type { Context } from 'koa';
import { PageError } from './page-forms.js';

/**
 * The issuer endpoints that OpenID Connect requires to take POST as well as GET: authorization
 * (Core §3.1.2.1) and end-session (RP-Initiated Logout §2).
 */
export const GET_OR_POST_ENDPOINTS = /^\/(auth|session\/end)$/;

/** Larger than any real request's parameters; a redirect's URL must stay well under Node's 16 KiB of headers. */
const MAX_FORM_BYTES = 8 * 1024;

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new PageError(400, 'error.generic.title', 'error.unreadable.message');
  }
  // A form is UTF-8 and not compressed: anything else is not read as one.
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  const charset = ctx.request.charset?.toLowerCase();
  if ((encoding !== '' && encoding !== 'identity') || (charset !== undefined && charset !== '' && charset !== 'utf-8')) {
    throw new PageError(415, 'error.generic.title', 'error.unreadable.message');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new PageError(413, 'error.generic.title', 'error.too_large.message');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A form POST to one of those endpoints, answered with a 303 to the same endpoint by GET with
 * the same parameters (the form's, in their order, duplicates kept for the provider to refuse;
 * a query string on the POST itself is not a parameter of it, OIDC Core §3.1.2.1).
 *
 * oidc-provider serves these POSTs itself only when the session cookie is `SameSite=None`: a
 * cross-site form POST carries no `Lax` cookie, so a signed-in user would look signed out
 * (prompt=none failing, a second login). sump keeps `Lax`; the browser follows the 303 as a
 * top-level GET navigation, which carries the session cookie, and the provider sees the request
 * it always sees. The parameters end up in that URL as they would have in a GET request.
 */
export async function redirectPostAsGet(ctx: Context, issuerPath: string, rest: string): Promise<void> {
  const params = await readForm(ctx);
  const query = params.toString();
  ctx.status = 303;
  ctx.redirect(`${issuerPath}${rest}${query ? `?${query}` : ''}`);
}
