import type { Config } from '../config/config.js';
import type { Database, Queryable } from '../db/database.js';
import {
  findEnvironmentAccountByIdentifier,
  lockEnvironmentAccount,
  updateEnvironmentAccount,
} from '../db/queries/environment-accounts.js';
import { findTenantAccountByIdentifier, lockTenantAccount, updateTenantAccount } from '../db/queries/tenant-accounts.js';
import { errors } from '../errors/codes.js';
import type { Language } from '../i18n/index.js';
import { record } from './audit.js';
import type { RequestMeta } from './api-sessions.js';
import {
  LINK_LIFETIME_SECONDS,
  voidAllLinkTokens,
  type LinkPurpose,
  type LinkTokenOwner,
  type LinkTokensService,
  type UsedLink,
} from './link-tokens.js';
import type { IdentifierLookup } from '../db/queries/identifier-lookup.js';
import type { LinkRequestHandler, LinkRequestRecorder } from './link-requests.js';
import { canMatch, toIdentifierLookup, type AccountLookup } from './lookup.js';
import type { MailService } from './mail.js';
import type { MailModel, MailTemplate, MailTemplates } from './mail-templates.js';
import { languageParam, placeOf, type PasswordPlace } from './password-links.js';
import type { RateLimiter, RateLimitRule } from './rate-limits.js';
import { brandOfEnvironment } from './environment-settings.js';

/** Where a verification happens: a tenant (its tenant accounts) or an environment (its accounts). */
export type VerificationPlace = PasswordPlace;

/** Whom a verification mail goes to: the account, the address to prove, the name and brand it shows. */
export interface VerificationRecipient {
  readonly owner: LinkTokenOwner;
  readonly to: string;
  readonly name: string;
  /** The environment's display name, or the tenant's name. */
  readonly brand: string;
  /** The OIDC interaction the link was asked from (the hosted signup page), to resume after. */
  readonly interactionUid?: string | null | undefined;
  /** The language of the request that caused the mail (its page's); English when none. */
  readonly language?: Language;
}

/** An account's address changed (from one address to another, not merely rewritten in another case). */
export interface EmailChange {
  readonly owner: LinkTokenOwner;
  readonly name: string;
  readonly brand: string;
  readonly previousEmail: string;
  readonly newEmail: string;
}

export const RESEND_VERIFICATION_MESSAGE =
  'If an account with an unverified email exists with this identifier, a verification link has been sent.';

/** Resend requests, per identifier and per address: as forgot-password (a mail each, kept low). */
export const RESEND_VERIFICATION_LIMITS = {
  perIdentifier: { limit: 5, windowSeconds: 60 * 60 },
  perAddress: { limit: 30, windowSeconds: 15 * 60 },
} as const satisfies Record<string, RateLimitRule>;

const VERIFY: readonly LinkPurpose[] = ['verify_email'];

export interface EmailVerificationService {
  /**
   * In the caller's transaction: a verify-email token (24 hours) for the account, voiding its
   * older verification links, and the mail that carries it to `recipient.to`.
   */
  sendVerificationLink(trx: Queryable, recipient: VerificationRecipient): Promise<void>;
  /**
   * In the caller's transaction, which holds the account's row with its new address: voids
   * every pending link of the account (reset, set-password, verification: they went to the old
   * address), mails a verification link to the new address and a notice to the old one.
   */
  emailChanged(trx: Queryable, change: EmailChange): Promise<void>;
  /** Whether a verification token is live here (the page's GET: uses nothing up). */
  isLive(place: VerificationPlace, token: unknown): Promise<boolean>;
  /**
   * Verifies the account's email with the token: used up, `emailVerified` set, an audit event
   * recorded, in one transaction. A token that is not live here (unknown, used, expired,
   * voided by a later email change, of another place) is a 400 `auth.invalid_token`.
   */
  verify(place: VerificationPlace, token: unknown, meta?: Pick<RequestMeta, 'ipAddress'>): Promise<UsedLink>;
  /**
   * Records a request for a new verification link (rate-limited as forgot-password), the same
   * work whoever it names: the link and mail are made in the background
   * (`resendVerificationLink`). Answers nothing: the caller always says the same.
   */
  resend(
    place: VerificationPlace,
    lookup: AccountLookup,
    meta: Pick<RequestMeta, 'ipAddress'> & { language?: Language },
    /** The sign-in it was asked from: the new link brings the browser back into it. */
    options?: { interactionUid?: string },
  ): Promise<void>;
  /**
   * A recorded resend request, in the processor's transaction: a new verification link for the
   * enabled, unverified account the identifier finds here; nothing when there is none.
   */
  resendVerificationLink: LinkRequestHandler;
}

/** Who a person whose address was changed should turn to (the mail names them, src/i18n). */
const contactOf = (owner: LinkTokenOwner): MailModel['contact'] => (owner.environmentId === null ? 'tenant' : 'environment');

export function createEmailVerificationService(deps: {
  config: Pick<Config, 'publicUrl'>;
  db: Database;
  linkTokens: LinkTokensService;
  mail: MailService;
  templates: MailTemplates;
  rateLimiter: RateLimiter;
  linkRequests: LinkRequestRecorder;
}): EmailVerificationService {
  const { db, linkTokens, mail, templates, rateLimiter, linkRequests } = deps;
  const base = deps.config.publicUrl.replace(/\/+$/, '');

  /** The verify page's link, from PUBLIC_URL only (never from the request's Host). */
  function verifyLink(owner: LinkTokenOwner, token: string, language: Language | undefined): string {
    const page =
      owner.environmentId === null
        ? `/tenants/${encodeURIComponent(owner.tenantId)}/verify-email`
        : `/oidc/${encodeURIComponent(owner.environmentId)}/verify-email`;
    return `${base}${page}?token=${encodeURIComponent(token)}${languageParam(language)}`;
  }

  async function queueMail(
    trx: Queryable,
    owner: LinkTokenOwner,
    to: string,
    template: MailTemplate,
    model: MailModel,
  ) {
    await mail.queue(trx, { tenantId: owner.tenantId, environmentId: owner.environmentId, to, ...templates.render(template, model) });
  }

  async function sendVerificationLink(trx: Queryable, recipient: VerificationRecipient) {
    const { token } = await linkTokens.issue(trx, recipient.owner, 'verify_email', { interactionUid: recipient.interactionUid });
    await queueMail(trx, recipient.owner, recipient.to, 'verify-email', {
      name: recipient.name,
      brand: recipient.brand,
      link: verifyLink(recipient.owner, token, recipient.language),
      validHours: LINK_LIFETIME_SECONDS.verify_email / 3600,
      ...(recipient.language ? { language: recipient.language } : {}),
    });
  }

  /**
   * The enabled, unverified account the lookup finds here, as a mail recipient: its row locked
   * and read again, so that an email change committing meanwhile is seen (the link then goes to
   * the new address, never to the old one).
   */
  async function findUnverified(trx: Queryable, place: VerificationPlace, identifier: IdentifierLookup): Promise<VerificationRecipient | undefined> {
    if (!canMatch(identifier)) return undefined;
    if (place.kind === 'tenant') {
      const scope = { tenantId: place.tenant.id };
      const found = await findTenantAccountByIdentifier(trx, scope, identifier);
      const account = found && (await lockTenantAccount(trx, scope, found.id));
      if (!account || account.disabled || account.emailVerified) return undefined;
      const owner = { tenantId: account.tenantId, environmentId: null, accountType: 'tenant_account' as const, accountId: account.id };
      return { owner, to: account.email, name: account.name, brand: place.tenant.name };
    }
    const { environment } = place;
    const scope = { tenantId: environment.tenantId, environmentId: environment.id };
    const found = await findEnvironmentAccountByIdentifier(trx, scope, identifier);
    const account = found && (await lockEnvironmentAccount(trx, scope, found.id));
    if (!account || account.disabled || account.emailVerified) return undefined;
    const owner = { ...scope, accountType: 'environment_account' as const, accountId: account.id };
    return { owner, to: account.email, name: account.name, brand: brandOfEnvironment(environment) };
  }

  return {
    sendVerificationLink,
    async emailChanged(trx, change) {
      await voidAllLinkTokens(trx, change.owner);
      await sendVerificationLink(trx, { owner: change.owner, to: change.newEmail, name: change.name, brand: change.brand });
      // The notice carries no link: nothing in it can undo the change or reach the account.
      await queueMail(trx, change.owner, change.previousEmail, 'email-changed', {
        name: change.name,
        brand: change.brand,
        contact: contactOf(change.owner),
      });
    },
    async isLive(place, token) {
      return (await linkTokens.peek(db, placeOf(place), VERIFY, token)) !== undefined;
    },
    async verify(place, token, meta) {
      // Nobody is signed in: whoever holds the link acts, anonymously, on the account.
      const anonymous = { type: 'anonymous' as const, id: null };
      const ip = meta?.ipAddress ?? null;
      const where = placeOf(place);
      return db.transaction(async (trx): Promise<UsedLink> => {
        const seen = await linkTokens.peek(trx, where, VERIFY, token);
        if (!seen) throw errors.invalidToken();
        // The account's row is locked before the token is used, the order an email change takes
        // (account, then its links): a change that commits first has voided the token, which the
        // consumption below then finds used; one that comes later waits for this transaction.
        if (place.kind === 'tenant') {
          const scope = { tenantId: place.tenant.id };
          const account = await lockTenantAccount(trx, scope, seen.accountId);
          if (!account || account.disabled) throw errors.invalidToken();
          const used = await linkTokens.consume(trx, where, VERIFY, token);
          if (!used) throw errors.invalidToken();
          if (!account.emailVerified) await updateTenantAccount(trx, scope, account.id, { emailVerified: true });
          const target = { type: 'tenant_account', id: account.id };
          await record(trx, { tenantId: scope.tenantId, actor: anonymous, action: 'tenant_account.email_verified', target, ip });
          return { accountId: account.id, interactionUid: used.interactionUid };
        }
        const { environment } = place;
        const scope = { tenantId: environment.tenantId, environmentId: environment.id };
        const account = await lockEnvironmentAccount(trx, scope, seen.accountId);
        if (!account || account.disabled) throw errors.invalidToken();
        const used = await linkTokens.consume(trx, where, VERIFY, token);
        if (!used) throw errors.invalidToken();
        if (!account.emailVerified) await updateEnvironmentAccount(trx, scope, account.id, { emailVerified: true });
        const target = { type: 'environment_account', id: account.id };
        await record(trx, { tenantId: scope.tenantId, actor: anonymous, action: 'environment_account.email_verified', target, ip });
        return { accountId: account.id, interactionUid: used.interactionUid };
      });
    },
    async resend(place, lookup, meta, options = {}) {
      const where = placeOf(place);
      const spot = where.environmentId ?? where.tenantId;
      const identifier = toIdentifierLookup(lookup);
      await rateLimiter.hit([
        [`resend-verification:${spot}:${identifier.kind}:${identifier.value}`, RESEND_VERIFICATION_LIMITS.perIdentifier],
        ...(meta.ipAddress
          ? [[`resend-verification-address:${spot}:${meta.ipAddress}`, RESEND_VERIFICATION_LIMITS.perAddress] as const]
          : []),
      ]);
      // Only recorded: the account is looked up later, in the background, so the timing
      // tells nothing.
      await linkRequests.record({ place, purpose: 'verify_email', identifier, interactionUid: options.interactionUid, language: meta.language });
    },
    async resendVerificationLink(trx, place, identifier, options) {
      const recipient = await findUnverified(trx, place, identifier);
      if (recipient) await sendVerificationLink(trx, { ...recipient, ...options });
    },
  };
}
