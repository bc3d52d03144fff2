import type { Context, Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { isAppError } from '../../errors/app-error.js';
import type { AppState } from '../context.js';
import type { HttpDeps } from '../deps.js';
import { createCsrf } from '../middleware/csrf.js';
import { createResetPasswordPage } from './reset-password.js';
import { createVerifyEmailPage } from './verify-email.js';
import { languageOf, type Views } from './views.js';
import type { Text } from '../../i18n/index.js';
import { PageError } from './page-forms.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_PAGE = /^\/tenants\/([^/]+)\/(reset-password|verify-email)$/;

const formBody = koaBody({ json: false, urlencoded: true, multipart: false, text: false, formLimit: '16kb' });

/**
 * The few pages tenant accounts reach from a mail, under /tenants/:tenantId/… (DESIGN.md):
 * set and reset password, and verify email.
 */
export function createTenantPages(deps: HttpDeps & { views: Views }): Middleware<AppState> {
  const { views, services, logger } = deps;
  const csrf = createCsrf({ secret: deps.config.authSecret, secure: deps.config.publicUrl.startsWith('https://') });
  const resetPage = createResetPasswordPage({ views, csrf, services });
  const verifyPage = createVerifyEmailPage({ views, csrf, services });

  async function route(ctx: Context, tenantId: string, page: string): Promise<void> {
    if (!UUID.test(tenantId)) throw new PageError(404, 'error.not_found.title', 'error.not_found.message');
    const tenant = await services.tenantAuth.findTenant(tenantId.toLowerCase());
    const target = { place: { kind: 'tenant' as const, tenant }, action: `/tenants/${tenant.id}/${page}`, brand: tenant.name };
    const handler = page === 'verify-email' ? verifyPage : resetPage;
    if (ctx.method === 'GET') return handler.show(ctx, target);
    if (ctx.method === 'POST') {
      await formBody(ctx, async () => undefined);
      return handler.submit(ctx, target);
    }
    throw new PageError(405, 'error.not_found.title', 'error.not_found.message');
  }

  return async function tenantPages(ctx, next) {
    const match = TENANT_PAGE.exec(ctx.path);
    if (!match) return next();
    try {
      await route(ctx, match[1] ?? '', match[2] ?? '');
    } catch (error) {
      let status = 500;
      let title: Text = 'error.generic.title';
      let message: Text = 'error.generic.message';
      if (error instanceof PageError) {
        ({ status, title } = error);
        message = error.userMessage;
      } else if (isAppError(error) && error.status < 500) {
        status = error.status;
        title = status === 404 ? 'error.not_found.title' : title;
        // The API's English detail; a page in another language says it more generally.
        message = languageOf(ctx) === 'en' ? { text: error.detail } : 'error.request_failed.message';
      } else {
        logger.error({ err: error }, 'page error');
      }
      views.respond(ctx, 'pages/error.njk', { title, message }, status);
    }
  };
}
