import type { Language } from '../i18n/index.js';
import type { Database, Queryable } from '../db/database.js';
import {
  findEnvironmentAccountById,
  findEnvironmentAccountByIdentifier,
  findTakenEnvironmentIdentifiers,
  insertEnvironmentAccount,
} from '../db/queries/environment-accounts.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import { isAppError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';
import type { RequestMeta } from './api-sessions.js';
import { record, selfEvent } from './audit.js';
import type { EmailVerificationService } from './email-verification.js';
import { assertPasswordPolicy, brandOfEnvironment, resolveSettings } from './environment-settings.js';
import type { SignupInput } from './environment-signup.js';
import type { MailService } from './mail.js';
import type { MailTemplates } from './mail-templates.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter, RateLimitRule } from './rate-limits.js';

/** Page signups per address to be proven: each one mails that address, so kept as low as forgot-password. */
export const PAGE_SIGNUP_LIMITS = {
  perEmail: { limit: 5, windowSeconds: 60 * 60 },
} as const satisfies Record<string, RateLimitRule>;

export interface PageSignup {
  /** Whether the environment's hosted signup page exists (`settings.signup.enabled`). */
  isOpen(environment: EnvironmentRow): boolean;
  /**
   * The hosted signup page's POST, after its fields passed their shape rules. Rate-limited as
   * JSON signup (the same counters) and per address; a password shorter than the environment's
   * policy is a 400 naming `password`, a taken username a 409 `account.username_taken` (the one
   * thing the page can tell apart, as DESIGN.md says). Otherwise it answers nothing, whether the
   * email is new or taken: a new one gets an unverified account and a verification link that
   * remembers `interactionUid`; a taken one gets a notice to its owner and nothing is created.
   * The password is hashed in both cases.
   */
  signup(input: {
    environment: EnvironmentRow;
    account: Pick<SignupInput, 'name' | 'email' | 'username' | 'password'>;
    interactionUid: string;
    meta: Pick<RequestMeta, 'ipAddress'>;
    /** The page's language: the mail (verification or notice) is written in it. */
    language?: Language;
  }): Promise<void>;
  /**
   * Whether the account may be signed in to an interaction after its verification link was
   * used: it exists in the environment, is enabled and its email is verified.
   */
  canResumeAs(environment: EnvironmentRow, accountId: string): Promise<boolean>;
}

export function createPageSignup(deps: {
  db: Database;
  hasher: PasswordHasher;
  emailVerification: Pick<EmailVerificationService, 'sendVerificationLink'>;
  mail: MailService;
  templates: MailTemplates;
  rateLimiter: RateLimiter;
}): PageSignup {
  const { db, hasher, emailVerification, mail, templates, rateLimiter } = deps;
  const isOpen = (environment: EnvironmentRow) => resolveSettings(environment.settings).signup.enabled;

  /** The notice to the owner of a taken address: no link, nothing it can change. */
  async function noticeOwner(trx: Queryable, environment: EnvironmentRow, emailNormalized: string, language?: Language): Promise<void> {
    const scope = { tenantId: environment.tenantId, environmentId: environment.id };
    const owner = await findEnvironmentAccountByIdentifier(trx, scope, { kind: 'email', value: emailNormalized });
    if (!owner) return;
    const brand = brandOfEnvironment(environment);
    await mail.queue(trx, {
      tenantId: environment.tenantId,
      environmentId: environment.id,
      to: owner.email,
      ...templates.render('signup-attempt', { name: owner.name, brand, ...(language ? { language } : {}) }),
    });
  }

  return {
    isOpen,
    async signup({ environment, account: input, interactionUid, meta, language }) {
      if (!isOpen(environment)) throw errors.signupDisabled();
      const settings = resolveSettings(environment.settings);
      const emailNormalized = normalizeIdentifier(input.email);
      const usernameNormalized = normalizeIdentifier(input.username);
      // Counted before anything is looked up, the same for a new and a taken address: JSON
      // signup's counters (both make accounts), and one per address (each answer mails it).
      const limits = settings.rateLimits;
      const window = limits.windowSeconds;
      await rateLimiter.hit([
        [`environment-signup:${environment.id}`, { limit: limits.signupsPerEnvironment, windowSeconds: window }],
        [`page-signup-email:${environment.id}:${emailNormalized}`, PAGE_SIGNUP_LIMITS.perEmail],
        ...(meta.ipAddress
          ? [[`environment-signup-address:${environment.id}:${meta.ipAddress}`, { limit: limits.signupsPerAddress, windowSeconds: window }] as const]
          : []),
      ]);
      assertPasswordPolicy(environment, input.password);
      const scope = { tenantId: environment.tenantId, environmentId: environment.id };
      const taken = await findTakenEnvironmentIdentifiers(db, scope, [
        { kind: 'email', value: emailNormalized },
        { kind: 'username', value: usernameNormalized },
      ]);
      if (taken.includes('username')) throw errors.identifierTaken('username');
      // Hashed whether or not the address is taken, so the two answers cost about the same.
      const passwordHash = await hasher.hash(input.password);
      if (taken.includes('email')) {
        await db.transaction((trx) => noticeOwner(trx, environment, emailNormalized, language));
        return;
      }
      try {
        await db.transaction(async (trx) => {
          const account = await insertEnvironmentAccount(trx, scope, {
            name: input.name,
            email: input.email,
            emailNormalized,
            emailVerified: false,
            username: input.username,
            usernameNormalized,
            phone: null,
            avatarUrl: null,
            address: null,
            customProperties: {},
            passwordHash,
            verifyBeforeSignIn: true,
          });
          const self = { type: 'environment_account' as const, id: account.id };
          await record(trx, selfEvent(environment.tenantId, self, 'environment_account.created', meta.ipAddress ?? null));
          await emailVerification.sendVerificationLink(trx, {
            owner: { ...scope, accountType: 'environment_account', accountId: account.id },
            to: account.email,
            name: account.name,
            brand: brandOfEnvironment(environment),
            interactionUid,
            ...(language ? { language } : {}),
          });
        });
      } catch (error) {
        // A racing signup took the address between the check and the insert: the same answer
        // as any taken address. A username taken meanwhile is shown as taken.
        if (!isAppError(error) || error.code !== 'account.email_taken') throw error;
        await db.transaction((trx) => noticeOwner(trx, environment, emailNormalized, language));
      }
    },
    async canResumeAs(environment, accountId) {
      const scope = { tenantId: environment.tenantId, environmentId: environment.id };
      const account = await findEnvironmentAccountById(db, scope, accountId);
      return Boolean(account && !account.disabled && account.emailVerified);
    },
  };
}
