import Router from '@koa/router';
import { z } from 'zod';
import { MANAGE, requireRole } from '../../services/access.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { readJsonBody, readEmptyBody } from '../middleware/json-body.js';
import { parseWith } from '../middleware/validate.js';
import { createClientBody, updateClientBody } from './client-schemas.js';
import { decodeCursor, encodeCursor, parsePageQuery } from './pagination.js';
import { CLIENT_ID_PATTERN, clientIdParam, uuidParams } from './params.js';
import { toClientResponse } from './responses.js';

const clientCursor = z.strictObject({
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  clientId: z.string().regex(CLIENT_ID_PATTERN),
});

/** /environments/:environmentId/clients: the OIDC clients of an environment. */
export function createClientsRouter(deps: HttpDeps): Router<AppState> {
  const { services } = deps;
  const router = new Router<AppState>({ prefix: '/environments/:environmentId/clients' });
  router.use(koaRequireTenantSession(deps));

  router.post('/', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const environment = await services.environments.findVisible(actor, environmentId);
    requireRole(actor, MANAGE);
    const body = parseWith(createClientBody, readJsonBody(ctx));
    const { client, clientSecret } = await services.clients.create(actor, environment, body);
    ctx.status = 201;
    ctx.body = { ...toClientResponse(client), ...(clientSecret === null ? {} : { clientSecret }) };
  });

  router.get('/', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const environment = await services.environments.findVisible(actor, environmentId);
    const query = parsePageQuery(ctx.query);
    const after = decodeCursor(clientCursor, query.cursor);
    const page = await services.clients.list(actor, environment, { limit: query.limit, after });
    ctx.body = { items: page.rows.map(toClientResponse), nextCursor: encodeCursor(page.next) };
  });

  router.get('/:clientId', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const clientId = clientIdParam(ctx.params);
    const environment = await services.environments.findVisible(actor, environmentId);
    const client = await services.clients.get(actor, environment, clientId);
    ctx.body = toClientResponse(client);
  });

  router.patch('/:clientId', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const clientId = clientIdParam(ctx.params);
    const environment = await services.environments.findVisible(actor, environmentId);
    requireRole(actor, MANAGE);
    const body = parseWith(updateClientBody, readJsonBody(ctx));
    const { client, clientSecret } = await services.clients.update(actor, environment, clientId, body);
    ctx.body = { ...toClientResponse(client), ...(clientSecret === null ? {} : { clientSecret }) };
  });

  router.delete('/:clientId', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const clientId = clientIdParam(ctx.params);
    const environment = await services.environments.findVisible(actor, environmentId);
    requireRole(actor, MANAGE);
    readEmptyBody(ctx);
    await services.clients.remove(actor, environment, clientId);
    ctx.status = 204;
  });

  router.post('/:clientId/secret', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const clientId = clientIdParam(ctx.params);
    const environment = await services.environments.findVisible(actor, environmentId);
    requireRole(actor, MANAGE);
    readEmptyBody(ctx);
    const { client, clientSecret } = await services.clients.rotateSecret(actor, environment, clientId);
    ctx.body = { ...toClientResponse(client), clientSecret };
  });

  return router;
}
