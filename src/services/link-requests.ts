import type { Database, Queryable } from '../db/database.js';
import type { IdentifierKind, IdentifierLookup } from '../db/queries/identifier-lookup.js';
import { findEnvironmentById } from '../db/queries/environments.js';
import {
  claimLinkRequests,
  deleteLinkRequest,
  insertLinkRequest,
  type LinkRequestPurpose,
  type LinkRequestRow,
} from '../db/queries/link-requests.js';
import { findTenantById } from '../db/queries/tenants.js';
import { isLanguage, type Language } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from './crypto.js';
import type { PasswordPlace } from './password-links.js';

/**
 * A forgot-password or resend-verification request, as asked. The request that asks only
 * records it (the same work whether or not an account has the identifier); the processor
 * looks the account up, issues the link and queues the mail in the background.
 */
export interface LinkRequest {
  readonly place: PasswordPlace;
  readonly purpose: LinkRequestPurpose;
  readonly identifier: IdentifierLookup;
  readonly interactionUid?: string | undefined;
  readonly language?: Language | undefined;
}

export interface LinkRequestRecorder {
  /** Writes the request, its identifier encrypted: one insert, whoever it names. */
  record(request: LinkRequest): Promise<void>;
}

/** What a recorded request is turned into, in the processing transaction. */
export type LinkRequestHandler = (
  trx: Queryable,
  place: PasswordPlace,
  identifier: IdentifierLookup,
  options: { readonly interactionUid?: string; readonly language?: Language },
) => Promise<void>;

export interface LinkRequestProcessor {
  /**
   * Processes the recorded requests, oldest first, one transaction each: the request is taken
   * (locked, skipped by any other processor), handled and deleted together. Answers how many
   * were processed.
   */
  processLinkRequests(options?: { limit?: number }): Promise<number>;
}

const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email', 'username', 'phone'];

/** How many requests one run processes at most (the next run, a second later, takes the rest). */
const RUN_LIMIT = 200;

export function createLinkRequestRecorder(deps: { db: Database; box: SecretBox }): LinkRequestRecorder {
  return {
    async record(request) {
      const { place, identifier } = request;
      await insertLinkRequest(deps.db, {
        tenantId: place.kind === 'tenant' ? place.tenant.id : place.environment.tenantId,
        environmentId: place.kind === 'tenant' ? null : place.environment.id,
        purpose: request.purpose,
        identifierEncrypted: deps.box.encrypt(JSON.stringify({ kind: identifier.kind, value: identifier.value })),
        interactionUid: request.interactionUid ?? null,
        language: request.language ?? null,
      });
    },
  };
}

function readIdentifier(box: SecretBox, encrypted: string): IdentifierLookup | undefined {
  const parsed = JSON.parse(box.decrypt(encrypted)) as { kind?: unknown; value?: unknown };
  if (typeof parsed.value !== 'string' || !IDENTIFIER_KINDS.includes(parsed.kind as IdentifierKind)) return undefined;
  return { kind: parsed.kind as IdentifierKind, value: parsed.value };
}

/** The tenant or environment a request was made in, unless it has gone since. */
async function placeOf(trx: Queryable, request: LinkRequestRow): Promise<PasswordPlace | undefined> {
  if (request.environmentId === null) {
    const tenant = await findTenantById(trx, request.tenantId);
    return tenant && { kind: 'tenant', tenant };
  }
  const environment = await findEnvironmentById(trx, request.environmentId);
  return environment && environment.tenantId === request.tenantId ? { kind: 'environment', environment } : undefined;
}

export function createLinkRequestProcessor(deps: {
  db: Database;
  box: SecretBox;
  logger: Logger;
  handlers: Readonly<Record<LinkRequestPurpose, LinkRequestHandler>>;
}): LinkRequestProcessor {
  const { db, box, logger, handlers } = deps;

  async function handle(trx: Queryable, request: LinkRequestRow) {
    const identifier = readIdentifier(box, request.identifierEncrypted);
    const place = identifier && (await placeOf(trx, request));
    if (!identifier || !place) return;
    await handlers[request.purpose](trx, place, identifier, {
      ...(request.interactionUid ? { interactionUid: request.interactionUid } : {}),
      ...(isLanguage(request.language) ? { language: request.language } : {}),
    });
  }

  /** Takes, handles and deletes one request in one transaction; false when none is left. */
  const processOne = () =>
    db.transaction(async (trx) => {
      const [request] = await claimLinkRequests(trx, 1);
      if (!request) return false;
      try {
        // A savepoint: a request that cannot be handled (a bug, a value that no longer
        // decrypts) is logged and dropped instead of blocking every later one. A lost
        // connection fails the delete too, and the request stays for the next run.
        await trx.transaction((savepoint) => handle(savepoint, request));
      } catch (error) {
        logger.warn({ err: error, tenantId: request.tenantId, linkRequestId: request.id }, 'link request not processed; dropped');
      }
      await deleteLinkRequest(trx, request);
      return true;
    });

  return {
    async processLinkRequests(options = {}) {
      const limit = options.limit ?? RUN_LIMIT;
      let processed = 0;
      while (processed < limit && (await processOne())) processed += 1;
      return processed;
    },
  };
}
