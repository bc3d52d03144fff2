import Router from '@koa/router';
import { z } from 'zod';
import { MANAGE, requireRole } from '../../services/access.js';
import type { AppContext, AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { uuidParams } from './params.js';
import { toTenantAccountResponse } from './tenant-responses.js';
import {
  changeEmailBody,
  changePhoneBody,
  changeRoleBody,
  changeUsernameBody,
  createTenantAccountBody,
  emptyBody,
  updateProfileBody,
} from './tenant-schemas.js';

const accountCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});

/** /tenants/:tenantId/accounts: a tenant's administrators and readers (see services/tenant-accounts.ts). */
export function createTenantAccountsRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const accounts = services.tenantAccounts;
  const router = new Router<AppState>({ prefix: '/tenants/:tenantId/accounts' });
  router.use(koaRequireTenantSession(deps));

  /** The actor, the path's ids (400 when malformed), then the tenant (404 unless the actor's own). */
  async function tenantOf(ctx: AppContext) {
    const actor = actorOf(ctx);
    const { tenantId } = uuidParams(ctx.params, 'tenantId');
    const accountId = ctx.params.accountId === undefined ? '' : uuidParams(ctx.params, 'accountId').accountId;
    const tenant = await services.tenants.findVisible(actor, tenantId);
    return { actor, tenant, accountId };
  }

  router.get('/', async (ctx) => {
    const { actor, tenant } = await tenantOf(ctx);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(accountCursor, query.cursor);
    const page = await accounts.list(actor, tenant, { limit: query.limit, after });
    ctx.body = { items: page.rows.map(toTenantAccountResponse), nextCursor: encodeCursor(page.next) };
  });

  router.post('/', async (ctx) => {
    const { actor, tenant } = await tenantOf(ctx);
    requireRole(actor, MANAGE);
    const body = parseWith(createTenantAccountBody, readJsonBody(ctx));
    const account = await accounts.create(actor, tenant, body);
    ctx.status = 201;
    ctx.body = toTenantAccountResponse(account);
  });

  router.get('/:accountId', async (ctx) => {
    const { actor, tenant, accountId } = await tenantOf(ctx);
    ctx.body = toTenantAccountResponse(await accounts.get(actor, tenant, accountId));
  });

  router.patch('/:accountId', async (ctx) => {
    const { actor, tenant, accountId } = await tenantOf(ctx);
    await accounts.authorize(actor, tenant, accountId, 'edit');
    const body = parseWith(updateProfileBody, readJsonBody(ctx));
    ctx.body = toTenantAccountResponse(await accounts.updateProfile(actor, tenant, accountId, body));
  });

  for (const [field, schema] of [
    ['email', changeEmailBody],
    ['username', changeUsernameBody],
    ['phone', changePhoneBody],
  ] as const) {
    router.patch(`/:accountId/${field}`, async (ctx) => {
      const { actor, tenant, accountId } = await tenantOf(ctx);
      await accounts.authorize(actor, tenant, accountId, 'edit');
      const body = parseWith(schema as z.ZodType<{ email: string } | { username: string } | { phone: string }>, readJsonBody(ctx));
      ctx.body = toTenantAccountResponse(await accounts.changeIdentifier(actor, tenant, accountId, body));
    });
  }

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.patch(`/:accountId/${action}`, async (ctx) => {
      const { actor, tenant, accountId } = await tenantOf(ctx);
      await accounts.authorize(actor, tenant, accountId, 'manage');
      parseWith(emptyBody, readJsonBody(ctx));
      ctx.body = toTenantAccountResponse(await accounts.setDisabled(actor, tenant, accountId, disabled));
    });
  }

  router.patch('/:accountId/role', async (ctx) => {
    const { actor, tenant, accountId } = await tenantOf(ctx);
    await accounts.authorize(actor, tenant, accountId, 'manage');
    const body = parseWith(changeRoleBody, readJsonBody(ctx));
    ctx.body = toTenantAccountResponse(await accounts.changeRole(actor, tenant, accountId, body.role));
  });

  router.delete('/:accountId', async (ctx) => {
    const { actor, tenant, accountId } = await tenantOf(ctx);
    await accounts.authorize(actor, tenant, accountId, 'edit');
    readEmptyBody(ctx);
    await accounts.remove(actor, tenant, accountId);
    ctx.status = 204;
  });

  return router;
}
