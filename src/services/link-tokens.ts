import type { Queryable } from '../db/database.js';
import {
  consumeLinkToken,
  findLiveLinkToken,
  insertLinkToken,
  voidLinkTokensOfAccount,
  type LinkPurpose,
  type LinkTokenOwner,
  type LinkTokenPlace,
  type LinkTokenRow,
} from '../db/queries/link-tokens.js';
import { randomToken, sha256Hex } from './crypto.js';

export type { LinkPurpose, LinkTokenOwner, LinkTokenPlace, LinkTokenRow };

/** What a used link was: whose, and the sign-in (OIDC interaction uid) it was asked from, if any. */
export interface UsedLink {
  readonly accountId: string;
  readonly interactionUid: string | null;
}

/** How long a link stays valid, by purpose (issue 4, item 3; DESIGN.md: set-password 72 h). */
export const LINK_LIFETIME_SECONDS: Readonly<Record<LinkPurpose, number>> = {
  reset_password: 60 * 60,
  set_password: 72 * 60 * 60,
  verify_email: 24 * 60 * 60,
};

/** The purposes a reset page accepts: a set-password link opens the same page. */
export const PASSWORD_PURPOSES: readonly LinkPurpose[] = ['reset_password', 'set_password'];
const ALL_PURPOSES: readonly LinkPurpose[] = ['reset_password', 'set_password', 'verify_email'];

/** Tokens are base64url of 32 random bytes; anything else cannot be one and is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface LinkTokensService {
  /**
   * A new token (256 bits; only its SHA-256 is stored) for the account and purpose; the
   * account's older unused tokens of the same purpose (for a password link: of both password
   * purposes) are voided. Runs in the caller's transaction, with the mail that carries it.
   * `options.interactionUid` is the OIDC interaction the link was asked from (a hosted step of a
   * sign-in), which the page the link opens sends the browser back to; the API passes none.
   */
  issue(
    db: Queryable,
    owner: LinkTokenOwner,
    purpose: LinkPurpose,
    options?: { interactionUid?: string | null | undefined; now?: Date },
  ): Promise<{ token: string; row: LinkTokenRow }>;
  /** Whether the token is live at this place (the GET of a reset page): uses nothing up. */
  peek(db: Queryable, place: LinkTokenPlace, purposes: readonly LinkPurpose[], token: unknown): Promise<LinkTokenRow | undefined>;
  /** Uses the token up if it is live at this place; of two concurrent calls one gets the row. */
  consume(db: Queryable, place: LinkTokenPlace, purposes: readonly LinkPurpose[], token: unknown): Promise<LinkTokenRow | undefined>;
  /** Voids every unused token of the account (any password change does this). */
  voidAll(db: Queryable, owner: LinkTokenOwner): Promise<number>;
}

/** Voids every unused link token of the account: any password change calls this. */
export function voidAllLinkTokens(db: Queryable, owner: LinkTokenOwner): Promise<number> {
  return voidLinkTokensOfAccount(db, owner, ALL_PURPOSES, new Date());
}

export function createLinkTokensService(): LinkTokensService {
  const hashOf = (token: unknown) => (typeof token === 'string' && TOKEN_SHAPE.test(token) ? sha256Hex(token) : undefined);
  return {
    async issue(db, owner, purpose, options = {}) {
      const now = options.now ?? new Date();
      const voided = PASSWORD_PURPOSES.includes(purpose) ? PASSWORD_PURPOSES : [purpose];
      await voidLinkTokensOfAccount(db, owner, voided, now);
      const token = randomToken(32);
      const row = await insertLinkToken(db, {
        ...owner,
        purpose,
        tokenHash: sha256Hex(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + LINK_LIFETIME_SECONDS[purpose] * 1000),
        interactionUid: options.interactionUid ?? null,
      });
      return { token, row };
    },
    async peek(db, place, purposes, token) {
      const hash = hashOf(token);
      return hash ? findLiveLinkToken(db, place, purposes, hash, new Date()) : undefined;
    },
    async consume(db, place, purposes, token) {
      const hash = hashOf(token);
      return hash ? consumeLinkToken(db, place, purposes, hash, new Date()) : undefined;
    },
    voidAll: voidAllLinkTokens,
  };
}
