import type { Config } from '../config/config.js';
import type { Database, Queryable } from '../db/database.js';
import { deleteApiSessionsOfAccount } from '../db/queries/api-sessions.js';
import {
  findEnvironmentAccountByIdentifier,
  lockEnvironmentAccount,
  updateEnvironmentAccount,
} from '../db/queries/environment-accounts.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import {
  findTenantAccountByIdentifier,
  lockTenantAccount,
  updateTenantAccount,
} from '../db/queries/tenant-accounts.js';
import type { TenantRow } from '../db/queries/tenants.js';
import { errors } from '../errors/codes.js';
import { DEFAULT_LANGUAGE, type Language } from '../i18n/index.js';
import { record } from './audit.js';
import type { RequestMeta } from './api-sessions.js';
import { endEverySession, type EndedSessions, type SessionEndings } from './session-endings.js';
import { assertPasswordPolicy, brandOfEnvironment } from './environment-settings.js';
import {
  LINK_LIFETIME_SECONDS,
  PASSWORD_PURPOSES,
  type LinkTokenOwner,
  type LinkTokenPlace,
  type LinkTokensService,
  type UsedLink,
} from './link-tokens.js';
import type { IdentifierLookup } from '../db/queries/identifier-lookup.js';
import type { LinkRequestHandler, LinkRequestRecorder } from './link-requests.js';
import { canMatch, toIdentifierLookup, type AccountLookup } from './lookup.js';
import type { MailService } from './mail.js';
import type { MailTemplate, MailTemplates } from './mail-templates.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter, RateLimitRule } from './rate-limits.js';

/** Where a reset happens: a tenant (its tenant accounts) or an environment (its accounts). */
export type PasswordPlace =
  | { readonly kind: 'tenant'; readonly tenant: TenantRow }
  | { readonly kind: 'environment'; readonly environment: EnvironmentRow };

/** Whom a link mail goes to. */
export interface LinkRecipient {
  readonly owner: LinkTokenOwner;
  readonly to: string;
  readonly name: string;
  /** The environment's display name, or the tenant's name. */
  readonly brand: string;
  /** The language of the request that caused the mail (its page's); English when none. */
  readonly language?: Language;
}

/** A request that may queue a mail: its address, and the language its page was in (else English). */
export type MailingRequest = Pick<RequestMeta, 'ipAddress'> & { readonly language?: Language };

/** A link's `lang` parameter: the page it opens speaks the mail's language; English needs none. */
export const languageParam = (language: Language | undefined): string =>
  language === undefined || language === DEFAULT_LANGUAGE ? '' : `&lang=${language}`;

export const FORGOT_PASSWORD_MESSAGE = 'If an account exists with this identifier, a reset link has been sent.';
export const RESET_PASSWORD_MESSAGE = 'Password has been reset successfully. Please log in with your new password.';

/** Forgot-password requests, per identifier and per address (a mail each: kept low). */
export const FORGOT_PASSWORD_LIMITS = {
  perIdentifier: { limit: 5, windowSeconds: 60 * 60 },
  perAddress: { limit: 30, windowSeconds: 15 * 60 },
} as const satisfies Record<string, RateLimitRule>;

export interface PasswordLinksService {
  /**
   * Records the request (rate-limited), the same work whoever it names: the link and mail are
   * made in the background (`sendResetLink`). Answers nothing: the caller always says the same.
   */
  forgot(
    place: PasswordPlace,
    lookup: AccountLookup,
    meta: MailingRequest,
    options?: { interactionUid?: string },
  ): Promise<void>;
  /** Whether a reset or set-password token is live here (the page's GET: uses nothing up). */
  isLive(place: PasswordPlace, token: unknown): Promise<boolean>;
  /**
   * Sets the password with a reset or set-password token: the token is used up, the account's
   * other links voided, its API sessions (and, in an environment, its OIDC sessions, grants and
   * tokens) ended, and a "password changed" notice queued — one transaction. A token that is
   * not live here is a 400 `auth.invalid_token`. Answers whose link it was and the sign-in
   * (interaction uid) it was asked from.
   */
  reset(place: PasswordPlace, token: unknown, newPassword: string, meta?: MailingRequest): Promise<UsedLink>;
  /**
   * A recorded forgot-password request, in the processor's transaction: a reset token and its
   * mail for the enabled account the identifier finds here; nothing when there is none.
   */
  sendResetLink: LinkRequestHandler;
  /** In the caller's transaction: a set-password token (72 h) and its mail. */
  sendSetPasswordLink(trx: Queryable, recipient: LinkRecipient): Promise<void>;
  /** In the caller's transaction: the "your password was changed" notice (no link in it). */
  sendPasswordChanged(trx: Queryable, recipient: LinkRecipient): Promise<void>;
}

/** Where a place's link tokens belong: its tenant, and its environment for end users. */
export function placeOf(place: PasswordPlace): LinkTokenPlace {
  return place.kind === 'tenant'
    ? { tenantId: place.tenant.id, environmentId: null, accountType: 'tenant_account' }
    : { tenantId: place.environment.tenantId, environmentId: place.environment.id, accountType: 'environment_account' };
}

export function createPasswordLinksService(deps: {
  config: Pick<Config, 'publicUrl'>;
  db: Database;
  hasher: PasswordHasher;
  linkTokens: LinkTokensService;
  mail: MailService;
  templates: MailTemplates;
  rateLimiter: RateLimiter;
  sessionEndings: SessionEndings;
  linkRequests: LinkRequestRecorder;
}): PasswordLinksService {
  const { db, hasher, linkTokens, mail, templates, rateLimiter, sessionEndings, linkRequests } = deps;
  const base = deps.config.publicUrl.replace(/\/+$/, '');

  /** The reset page's link, from PUBLIC_URL only (never from the request's Host). */
  function resetLink(owner: LinkTokenOwner, token: string, language: Language | undefined): string {
    const page =
      owner.environmentId === null
        ? `/tenants/${encodeURIComponent(owner.tenantId)}/reset-password`
        : `/oidc/${encodeURIComponent(owner.environmentId)}/reset-password`;
    return `${base}${page}?token=${encodeURIComponent(token)}${languageParam(language)}`;
  }

  async function queueMail(trx: Queryable, recipient: LinkRecipient, template: MailTemplate, link?: string, validHours?: number) {
    const rendered = templates.render(template, {
      brand: recipient.brand,
      name: recipient.name,
      ...(link ? { link } : {}),
      ...(validHours ? { validHours } : {}),
      ...(recipient.language ? { language: recipient.language } : {}),
    });
    await mail.queue(trx, {
      tenantId: recipient.owner.tenantId,
      environmentId: recipient.owner.environmentId,
      to: recipient.to,
      ...rendered,
    });
  }

  async function sendLink(
    trx: Queryable,
    recipient: LinkRecipient,
    purpose: 'reset_password' | 'set_password',
    interactionUid?: string,
  ) {
    const { token } = await linkTokens.issue(trx, recipient.owner, purpose, { interactionUid });
    const template = purpose === 'reset_password' ? 'reset-password' : 'set-password';
    const link = resetLink(recipient.owner, token, recipient.language);
    await queueMail(trx, recipient, template, link, LINK_LIFETIME_SECONDS[purpose] / 3600);
  }

  /** The enabled account the lookup finds here, as a mail recipient. */
  async function findRecipient(trx: Queryable, place: PasswordPlace, identifier: IdentifierLookup): Promise<LinkRecipient | undefined> {
    if (!canMatch(identifier)) return undefined;
    if (place.kind === 'tenant') {
      const account = await findTenantAccountByIdentifier(trx, { tenantId: place.tenant.id }, identifier);
      if (!account || account.disabled) return undefined;
      return {
        owner: { tenantId: account.tenantId, environmentId: null, accountType: 'tenant_account', accountId: account.id },
        to: account.email,
        name: account.name,
        brand: place.tenant.name,
      };
    }
    const { environment } = place;
    const scope = { tenantId: environment.tenantId, environmentId: environment.id };
    const account = await findEnvironmentAccountByIdentifier(trx, scope, identifier);
    if (!account || account.disabled) return undefined;
    return {
      owner: { ...scope, accountType: 'environment_account', accountId: account.id },
      to: account.email,
      name: account.name,
      brand: brandOfEnvironment(environment),
    };
  }

  return {
    async forgot(place, lookup, meta, options = {}) {
      const where = placeOf(place);
      const spot = where.environmentId ?? where.tenantId;
      const identifier = toIdentifierLookup(lookup);
      await rateLimiter.hit([
        [`forgot-password:${spot}:${identifier.kind}:${identifier.value}`, FORGOT_PASSWORD_LIMITS.perIdentifier],
        ...(meta.ipAddress
          ? [[`forgot-password-address:${spot}:${meta.ipAddress}`, FORGOT_PASSWORD_LIMITS.perAddress] as const]
          : []),
      ]);
      // Only recorded: the account is looked up later, in the background, so the answer's
      // timing does not tell accounts apart.
      await linkRequests.record({
        place,
        purpose: 'reset_password',
        identifier,
        interactionUid: options.interactionUid,
        language: meta.language,
      });
    },
    async sendResetLink(trx, place, identifier, options) {
      const recipient = await findRecipient(trx, place, identifier);
      if (recipient) await sendLink(trx, { ...recipient, language: options.language }, 'reset_password', options.interactionUid);
    },
    async isLive(place, token) {
      return (await linkTokens.peek(db, placeOf(place), PASSWORD_PURPOSES, token)) !== undefined;
    },
    async reset(place, token, newPassword, meta) {
      // Nobody is signed in: whoever holds the link acts, anonymously, on the account.
      const anonymous = { type: 'anonymous' as const, id: null };
      const ip = meta?.ipAddress ?? null;
      if (place.kind === 'environment') assertPasswordPolicy(place.environment, newPassword, 'newPassword');
      // Hashed before the transaction: no connection is held while argon2 runs.
      const passwordHash = await hasher.hash(newPassword);
      let ended: EndedSessions | undefined;
      const used = await db.transaction(async (trx): Promise<UsedLink> => {
        // The account's row is locked before the token is used: the order an email change
        // takes (the account, then its links), so the two never deadlock, and a change that
        // committed first has voided the token.
        const seen = await linkTokens.peek(trx, placeOf(place), PASSWORD_PURPOSES, token);
        if (!seen) throw errors.invalidToken();
        // The locked row is the account as it stands until commit: it is not read again below.
        const tenantAccount = place.kind === 'tenant' ? await lockTenantAccount(trx, { tenantId: place.tenant.id }, seen.accountId) : undefined;
        const environmentAccount =
          place.kind === 'environment'
            ? await lockEnvironmentAccount(trx, { tenantId: place.environment.tenantId, environmentId: place.environment.id }, seen.accountId)
            : undefined;
        // Same token as `seen`: the same account.
        const row = await linkTokens.consume(trx, placeOf(place), PASSWORD_PURPOSES, token);
        if (!row) throw errors.invalidToken();
        let recipient: LinkRecipient;
        if (place.kind === 'tenant') {
          const scope = { tenantId: place.tenant.id };
          const account = tenantAccount;
          if (!account || account.disabled) throw errors.invalidToken();
          await updateTenantAccount(trx, scope, account.id, { passwordHash });
          await deleteApiSessionsOfAccount(trx, { tenantId: scope.tenantId, accountType: 'tenant_account', accountId: account.id });
          const target = { type: 'tenant_account', id: account.id };
          await record(trx, { tenantId: scope.tenantId, actor: anonymous, action: 'tenant_account.password_reset', target, ip });
          recipient = { owner: row, to: account.email, name: account.name, brand: place.tenant.name };
        } else {
          const { environment } = place;
          const scope = { tenantId: environment.tenantId, environmentId: environment.id };
          const account = environmentAccount;
          if (!account || account.disabled) throw errors.invalidToken();
          // The link reached the account's address: for an account of the signup page, which
          // signs in only once its address is proven, that proves it (else someone who signed
          // up first with another's address would keep its owner out for good).
          const proves = account.verifyBeforeSignIn && !account.emailVerified;
          await updateEnvironmentAccount(trx, scope, account.id, { passwordHash, ...(proves ? { emailVerified: true } : {}) });
          ended = await endEverySession(trx, scope, account.id);
          const target = { type: 'environment_account', id: account.id };
          await record(trx, { tenantId: scope.tenantId, actor: anonymous, action: 'environment_account.password_reset', target, ip });
          recipient = { owner: row, to: account.email, name: account.name, brand: brandOfEnvironment(environment) };
        }
        await linkTokens.voidAll(trx, row);
        await queueMail(trx, { ...recipient, language: meta?.language }, 'password-changed');
        return { accountId: row.accountId, interactionUid: row.interactionUid };
      });
      if (ended) sessionEndings.announce(ended);
      return used;
    },
    sendSetPasswordLink: (trx, recipient) => sendLink(trx, recipient, 'set_password'),
    sendPasswordChanged: (trx, recipient) => queueMail(trx, recipient, 'password-changed'),
  };
}
