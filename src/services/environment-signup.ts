import type { Database } from '../db/database.js';
import {
  findTakenEnvironmentIdentifiers,
  insertEnvironmentAccount,
  type EnvironmentAccountRow,
} from '../db/queries/environment-accounts.js';
import type { EnvironmentRow } from '../db/queries/environments.js';
import type { IdentifierLookup } from '../db/queries/identifier-lookup.js';
import { AppError } from '../errors/app-error.js';
import { errors } from '../errors/codes.js';
import type { ApiSessionsService, IssuedSession, RequestMeta } from './api-sessions.js';
import { assertPasswordPolicy, brandOfEnvironment, resolveSettings } from './environment-settings.js';
import { record, selfEvent } from './audit.js';
import type { EmailVerificationService } from './email-verification.js';
import { normalizeIdentifier } from './normalize.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter } from './rate-limits.js';

export interface SignupInput {
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
  readonly phone?: string | undefined;
  readonly avatarUrl?: string | undefined;
}

export interface EnvironmentSignup {
  /** 403 `environment.signup_disabled` unless the environment's JSON signup is on. */
  assertSignupOpen(environment: EnvironmentRow): void;
  /**
   * A new account of the environment with its API session. A taken email, username or phone is
   * a 409 naming every taken field (a lost race: the one the unique index names). When the
   * environment requires verified emails, no session is issued (`issued` is null). Either way
   * a verification link is mailed to the address, so the `email_verified` claim can come true.
   */
  signup(input: { environment: EnvironmentRow; account: SignupInput; meta: RequestMeta }): Promise<{
    account: EnvironmentAccountRow;
    issued: IssuedSession | null;
  }>;
}

function takenError(fields: readonly IdentifierLookup['kind'][]): AppError {
  const first = errors.identifierTaken(fields[0] ?? 'email');
  return new AppError(
    first.code,
    409,
    first.detail,
    fields.map((field) => ({ field, message: `${field} is already in use` })),
  );
}

export function createEnvironmentSignup(deps: {
  db: Database;
  hasher: PasswordHasher;
  apiSessions: ApiSessionsService;
  emailVerification: Pick<EmailVerificationService, 'sendVerificationLink'>;
  rateLimiter: RateLimiter;
}): EnvironmentSignup {
  const { db, hasher, apiSessions, emailVerification, rateLimiter } = deps;

  function assertSignupOpen(environment: EnvironmentRow): void {
    const { signup } = resolveSettings(environment.settings);
    if (!signup.enabled || !signup.api) throw errors.signupDisabled();
  }

  return {
    assertSignupOpen,
    async signup({ environment, account: input, meta }) {
      assertSignupOpen(environment);
      const settings = resolveSettings(environment.settings);
      // Counted before anything is looked up: a 409 tells a taken email apart, and each new
      // account mails a link, so neither can be had at will.
      const limits = settings.rateLimits;
      const window = limits.windowSeconds;
      await rateLimiter.hit([
        [`environment-signup:${environment.id}`, { limit: limits.signupsPerEnvironment, windowSeconds: window }],
        ...(meta.ipAddress
          ? [[`environment-signup-address:${environment.id}:${meta.ipAddress}`, { limit: limits.signupsPerAddress, windowSeconds: window }] as const]
          : []),
      ]);
      assertPasswordPolicy(environment, input.password);
      const scope = { tenantId: environment.tenantId, environmentId: environment.id };
      const emailNormalized = normalizeIdentifier(input.email);
      const usernameNormalized = normalizeIdentifier(input.username);
      const lookups: IdentifierLookup[] = [
        { kind: 'email', value: emailNormalized },
        { kind: 'username', value: usernameNormalized },
        ...(input.phone ? [{ kind: 'phone' as const, value: input.phone }] : []),
      ];
      const taken = await findTakenEnvironmentIdentifiers(db, scope, lookups);
      if (taken.length > 0) throw takenError(taken);

      const passwordHash = await hasher.hash(input.password);
      return db.transaction(async (trx) => {
        // A racing signup that got past the check above loses here, on the unique index: 409.
        const account = await insertEnvironmentAccount(trx, scope, {
          name: input.name,
          email: input.email,
          emailNormalized,
          emailVerified: false,
          username: input.username,
          usernameNormalized,
          phone: input.phone ?? null,
          avatarUrl: input.avatarUrl ?? null,
          address: null,
          customProperties: {},
          passwordHash,
        });
        // Nobody is signed in: the new account acts on itself.
        await record(trx, selfEvent(environment.tenantId, { type: 'environment_account', id: account.id }, 'environment_account.created', meta.ipAddress));
        // Sent whether or not the environment requires it: where it does, the person needs the
        // link to ever sign in; elsewhere it lets the email_verified claim become true.
        await emailVerification.sendVerificationLink(trx, {
          owner: { ...scope, accountType: 'environment_account', accountId: account.id },
          to: account.email,
          name: account.name,
          brand: brandOfEnvironment(environment),
        });
        const issued = settings.emailVerification.required
          ? null
          : await apiSessions.issue(trx, {
              tenantId: environment.tenantId,
              accountType: 'environment_account',
              accountId: account.id,
              environmentId: environment.id,
              lifetimeSeconds: settings.sessions.lifetimeSeconds,
              meta,
            });
        return { account, issued };
      });
    },
  };
}
