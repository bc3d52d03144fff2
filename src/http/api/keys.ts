import Router from '@koa/router';
import type { PublishedKey } from '../../services/signing-keys.js';
import { MANAGE, requireRole } from '../../services/access.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { readEmptyBody } from '../middleware/json-body.js';
import { actorOf, koaRequireTenantSession } from '../middleware/auth.js';
import { uuidParams } from './params.js';

function toKeyResponse(key: PublishedKey) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    publicJwk: key.publicJwk,
    signsFrom: key.signsFrom.toISOString(),
    retiredAt: key.retiredAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}

/** /environments/:environmentId/keys: the signing keys of an environment's issuer. */
export function createKeysRouter(deps: HttpDeps): Router<AppState> {
  const { services, issuers } = deps;
  const router = new Router<AppState>({ prefix: '/environments/:environmentId/keys' });
  router.use(koaRequireTenantSession(deps));

  router.get('/', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const environment = await services.environments.findVisible(actor, environmentId);
    // Building (or finding built) the issuer brings its key schedule up to date first.
    await issuers.get(environment.id);
    const keys = await services.environmentKeys.list(actor, environment);
    ctx.body = { items: keys.map(toKeyResponse), nextCursor: null };
  });

  router.post('/rotate', async (ctx) => {
    const actor = actorOf(ctx);
    const { environmentId } = uuidParams(ctx.params, 'environmentId');
    const environment = await services.environments.findVisible(actor, environmentId);
    requireRole(actor, MANAGE);
    readEmptyBody(ctx);
    const keys = await services.environmentKeys.rotate(actor, environment);
    // Every node rebuilds this issuer with the new keys (oidc-provider fixes its JWKS when built).
    await issuers.evict(environment.id);
    ctx.body = { items: keys.map(toKeyResponse), nextCursor: null };
  });

  return router;
}
