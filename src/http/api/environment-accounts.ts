import Router from '@koa/router';
import { z } from 'zod';
import type { EnvironmentRow } from '../../db/queries/environments.js';
import { errors } from '../../errors/codes.js';
import { MANAGE, READ, requireRole } from '../../services/access.js';
import type { AccountCaller } from '../../services/environment-accounts.js';
import type { AppContext, AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import {
  clearSessionCookie,
  ENVIRONMENT_SESSION_COOKIE,
  readSessionCookie,
  TENANT_SESSION_COOKIE,
} from '../middleware/cookies.js';
import { readApiKey } from '../middleware/auth.js';
import { readEmptyBody, readJsonBody } from '../middleware/json-body.js';
import { assertCookieWriteOrigin, isUnsafeMethod } from '../middleware/origin.js';
import { parseWith } from '../middleware/validate.js';
import { toEnvironmentAccountResponse } from './account-responses.js';
import { emptyBody } from './tenant-schemas.js';
import { environmentCredential } from './environment-credential.js';
import {
  accountListQuery,
  adminProfileBody,
  changeEmailBody,
  changePhoneBody,
  changeUsernameBody,
  createEnvironmentAccountBody,
  deleteCustomPropertyBody,
  selfProfileBody,
  setCustomPropertyBody,
} from './environment-schemas.js';
import { decodeCursor, encodeCursor } from './pagination.js';
import { requestMeta, uuidParams } from './params.js';

const accountCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

/** What a route may let through: a tenant role at least `minimum`, and the account itself or not. */
interface Access {
  readonly minimum: typeof READ | typeof MANAGE;
  readonly self: boolean;
}
const READ_ONE: Access = { minimum: READ, self: true };
const WRITE_ONE: Access = { minimum: MANAGE, self: true };
const ADMIN_ONLY: Access = { minimum: MANAGE, self: false };

/**
 * /environments/:environmentId/accounts: the environment's end users. Tenant accounts act by
 * role (a `sump_session`); an environment account acts on itself through its own environment
 * session (the `sump_env_session` cookie or a bearer token) of this environment.
 */
export function createEnvironmentAccountsRouter(deps: HttpDeps): Router<AppState> {
  const { config, services } = deps;
  const router = new Router<AppState>({ prefix: '/environments/:environmentId/accounts' });

  const authenticateKey = async (key: string) => {
    const actor = await services.apiKeys.authenticate(key);
    return actor ? { actor } : undefined;
  };

  /** 401 → ids' shape (400) → environment visible (404) → role or self (403). */
  async function authorize(ctx: AppContext, access: Access, withAccount: boolean) {
    // A tenant API key, else a tenant session cookie; a bearer that is no key may be the
    // account's own environment session.
    const key = readApiKey(ctx);
    const tenant = key !== undefined
      ? await authenticateKey(key)
      : await services.tenantAuth.authenticate(readSessionCookie(ctx, TENANT_SESSION_COOKIE));
    const credential = tenant ? undefined : environmentCredential(ctx);
    if (!tenant && !credential) throw errors.unauthenticated();
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const accountId = withAccount ? uuidParams(ctx.params, 'accountId').accountId : '';

    let caller: AccountCaller;
    let environment: EnvironmentRow;
    if (tenant) {
      if (tenant.actor.via === 'cookie' && isUnsafeMethod(ctx.method)) assertCookieWriteOrigin(ctx, config);
      caller = { kind: 'tenant', actor: { ...tenant.actor, ipAddress: requestMeta(ctx).ipAddress } };
      environment = await services.environments.findVisible(tenant.actor, environmentId);
      requireRole(tenant.actor, access.minimum);
    } else {
      // An environment session works only in the environment that issued it: elsewhere 401.
      const found = await services.environments.findById(environmentId);
      if (!found || !credential) throw errors.unauthenticated();
      const session = await services.environmentAuth.currentSession(found, credential.token);
      if (credential.via === 'cookie' && isUnsafeMethod(ctx.method)) assertCookieWriteOrigin(ctx, config);
      environment = found;
      caller = { kind: 'self', accountId: session.accountId, sessionId: session.id, ipAddress: requestMeta(ctx).ipAddress };
      if (!access.self || session.accountId !== accountId) throw errors.forbidden();
    }
    return { caller, environment, accountId };
  }

  const tenantActorOf = (caller: AccountCaller) => {
    if (caller.kind !== 'tenant') throw errors.forbidden();
    return caller.actor;
  };

  router.post('/', async (ctx) => {
    const { caller, environment } = await authorize(ctx, ADMIN_ONLY, false);
    const body = parseWith(createEnvironmentAccountBody, readJsonBody(ctx));
    const account = await services.environmentAccounts.create(tenantActorOf(caller), environment, body);
    ctx.status = 201;
    ctx.body = toEnvironmentAccountResponse(account);
  });

  router.get('/', async (ctx) => {
    const { caller, environment } = await authorize(ctx, { minimum: READ, self: false }, false);
    const query = parseWith(accountListQuery, ctx.query);
    const after = decodeCursor(accountCursor, query.cursor);
    const page = await services.environmentAccounts.list(tenantActorOf(caller), environment, {
      limit: query.limit,
      after,
      email: query.email,
      username: query.username,
    });
    ctx.body = { items: page.rows.map(toEnvironmentAccountResponse), nextCursor: encodeCursor(page.next) };
  });

  router.get('/:accountId', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, READ_ONE, true);
    ctx.body = toEnvironmentAccountResponse(await services.environmentAccounts.get(caller, environment, accountId));
  });

  router.patch('/:accountId', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    // The account itself may not mark its email verified (nor set anything but its profile).
    const body = parseWith(caller.kind === 'self' ? selfProfileBody : adminProfileBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(await services.environmentAccounts.updateProfile(caller, environment, accountId, body));
  });

  router.delete('/:accountId', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    readEmptyBody(ctx);
    await services.environmentAccounts.remove(caller, environment, accountId);
    if (caller.kind === 'self') clearSessionCookie(ctx, config, ENVIRONMENT_SESSION_COOKIE);
    ctx.status = 204;
  });

  router.patch('/:accountId/email', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    const { email } = parseWith(changeEmailBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(await services.environmentAccounts.changeEmail(caller, environment, accountId, email));
  });

  router.patch('/:accountId/phone', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    const { phone } = parseWith(changePhoneBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(await services.environmentAccounts.changePhone(caller, environment, accountId, phone));
  });

  router.patch('/:accountId/username', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    const { username } = parseWith(changeUsernameBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(
      await services.environmentAccounts.changeUsername(caller, environment, accountId, username),
    );
  });

  router.patch('/:accountId/custom-property', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    const body = parseWith(setCustomPropertyBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(
      await services.environmentAccounts.setCustomProperties(caller, environment, accountId, body),
    );
  });

  router.delete('/:accountId/custom-property', async (ctx) => {
    const { caller, environment, accountId } = await authorize(ctx, WRITE_ONE, true);
    const { customProperty } = parseWith(deleteCustomPropertyBody, readJsonBody(ctx));
    ctx.body = toEnvironmentAccountResponse(
      await services.environmentAccounts.deleteCustomProperty(caller, environment, accountId, customProperty),
    );
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.patch(`/:accountId/${action}`, async (ctx) => {
      const { caller, environment, accountId } = await authorize(ctx, ADMIN_ONLY, true);
      parseWith(emptyBody, readJsonBody(ctx));
      ctx.body = toEnvironmentAccountResponse(
        await services.environmentAccounts.setDisabled(tenantActorOf(caller), environment, accountId, disabled),
      );
    });
  }

  return router;
}
