import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../helpers/child-process.js';
import { createClient, createTenant, signupUser, type TestClient, type TestTenant, type TestUser } from '../helpers/fixtures.js';
import { HttpBrowser, findElement, pageText, type PageResponse } from '../helpers/http-browser.js';
import { issuerOf } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { requireFile, startDaemon, stopDaemon, waitUntilServing, type Daemon } from './support.js';

/**
 * Apache httpd with Debian's mod_auth_openidc (2.4.12.x), a relying party nobody here wrote,
 * protects a page with sump as its provider. The test writes a self-contained httpd config in a
 * temporary directory, starts httpd in the foreground as its own process group and stops it
 * at the end. The page is a server-side include that prints what mod_auth_openidc hands the
 * application as environment variables (the claims and REMOTE_USER); the claim it passes as a
 * request header, which a proxied backend would read, is echoed in a response header.
 */

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const INSTALL = 'apt-get install -y --no-install-recommends apache2 libapache2-mod-auth-openidc';

/** The page behind mod_auth_openidc: each value between markers, so the test reads them exactly. */
const PROTECTED_PAGE = `<!doctype html>
<title>Protected</title>
<h1>Members only</h1>
<p id="email"><!--#echo var="OIDC_CLAIM_email" encoding="entity" --></p>
<p id="name"><!--#echo var="OIDC_CLAIM_name" encoding="entity" --></p>
<p id="sub"><!--#echo var="OIDC_CLAIM_sub" encoding="entity" --></p>
<p id="remote-user"><!--#echo var="REMOTE_USER" encoding="entity" --></p>
`;

/**
 * mod_auth_openidc answers 401 instead of redirecting to a request that does not look like a
 * browser's navigation, and Node's fetch always sends `Sec-Fetch-Mode: cors`. So this client
 * (HttpBrowser's cookie jar, redirects and forms) speaks through node:http and sends what a
 * browser sends when it follows a link. httpd keeps its default request detection.
 */
class NavigatingBrowser extends HttpBrowser {
  override async request(url: string, init: Parameters<HttpBrowser['request']>[1] = {}): Promise<PageResponse> {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'user-agent': 'Mozilla/5.0 (sump interop test)',
      ...init.headers,
    };
    const cookie = await this.jar.getCookieString(url);
    if (cookie && !headers.cookie) headers.cookie = cookie;
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const answer = await new Promise<IncomingMessage & { text: string }>((resolve, reject) => {
      const outgoing = httpRequest(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers }, (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve(Object.assign(incoming, { text })));
        incoming.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
    }
    for (const setCookie of answer.headers['set-cookie'] ?? []) await this.jar.setCookie(setCookie, url, { ignoreError: true });
    return { url, status: answer.statusCode ?? 0, headers: responseHeaders, body: answer.text };
  }
}

interface HttpdOptions {
  readonly dir: string;
  readonly port: number;
  readonly metadataUrl: string;
  readonly client: TestClient;
}

/**
 * A whole httpd configuration of its own: nothing of /etc/apache2 is read. Started as root (as
 * CI runs), httpd binds the port and then serves as www-data, which must be able to read the
 * directory; started as anyone else, User and Group are ignored.
 */
function httpdConfig({ dir, port, metadataUrl, client }: HttpdOptions): string {
  const modules = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'mime', 'include', 'headers', 'auth_openidc'];
  return [
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}/run"`,
    `PidFile "${dir}/run/httpd.pid"`,
    `Mutex file:${dir}/run default`,
    `ErrorLog "${dir}/error.log"`,
    'LogLevel warn',
    `Listen 127.0.0.1:${port}`,
    `ServerName 127.0.0.1:${port}`,
    'User www-data',
    'Group www-data',
    ...modules.map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`),
    `DocumentRoot "${dir}/htdocs"`,
    // the one type the page needs; no system mime.types is read
    `TypesConfig "${dir}/mime.types"`,
    'AddType text/html .shtml',
    `<Directory "${dir}/htdocs">`,
    '  Require all granted',
    '</Directory>',
    '',
    `OIDCProviderMetadataURL ${metadataUrl}`,
    `OIDCClientID ${client.clientId}`,
    `OIDCClientSecret ${client.clientSecret}`,
    `OIDCRedirectURI http://127.0.0.1:${port}/protected/redirect_uri`,
    `OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}`,
    'OIDCPKCEMethod S256',
    'OIDCScope "openid email profile"',
    'OIDCProviderTokenEndpointAuth client_secret_basic',
    'OIDCRemoteUserClaim email',
    '',
    '<Location /protected>',
    '  AuthType openid-connect',
    '  Require valid-user',
    '  Options +Includes',
    '  SetOutputFilter INCLUDES',
    '  Header always set X-Claim-Email "expr=%{req:OIDC_CLAIM_email}"',
    '</Location>',
    '',
  ].join('\n');
}

describe('Apache httpd + mod_auth_openidc protects a page with sump', () => {
  let server: TestServer;
  let tenant: TestTenant;
  let user: TestUser;
  let dir: string;
  let httpd: Daemon | undefined;
  let apacheUrl: string;
  const errorLog = () => {
    try {
      return readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      return '(no error.log)';
    }
  };

  beforeAll(async () => {
    requireFile(APACHE, INSTALL);
    requireFile(`${MODULES}/mod_auth_openidc.so`, INSTALL);
    server = await startTestServer();
    tenant = await createTenant(server);
    user = await signupUser(server, tenant.environmentId, { name: 'Katherine Johnson' });

    const port = await freePort();
    apacheUrl = `http://127.0.0.1:${port}`;
    const client = await createClient(server, tenant, {
      name: 'Apache intranet',
      redirectUris: [`${apacheUrl}/protected/redirect_uri`],
      postLogoutRedirectUris: [`${apacheUrl}/index.html`],
      scopes: ['openid', 'email', 'profile'],
    });

    dir = mkdtempSync(path.join(tmpdir(), 'sump-httpd-'));
    mkdirSync(path.join(dir, 'run'));
    mkdirSync(path.join(dir, 'htdocs', 'protected'), { recursive: true });
    writeFileSync(path.join(dir, 'mime.types'), 'text/html html\n');
    writeFileSync(path.join(dir, 'htdocs', 'index.html'), '<!doctype html>\n<title>Public</title>\n<p id="public">Signed out</p>\n');
    writeFileSync(path.join(dir, 'htdocs', 'protected', 'index.shtml'), PROTECTED_PAGE);
    const config = httpdConfig({ dir, port, metadataUrl: `${issuerOf(server, tenant.environmentId)}/.well-known/openid-configuration`, client });
    writeFileSync(path.join(dir, 'httpd.conf'), config, { mode: 0o600 });
    // the served files must be readable by the user httpd's workers run as (mkdtemp makes 0700)
    for (const folder of [dir, path.join(dir, 'htdocs'), path.join(dir, 'htdocs', 'protected')]) chmodSync(folder, 0o755);

    httpd = startDaemon(APACHE, ['-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND']);
    await waitUntilServing(`${apacheUrl}/index.html`, httpd, errorLog);
  });

  afterAll(async () => {
    await stopDaemon(httpd);
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });


  it('sends an anonymous visitor to sump’s authorization endpoint with PKCE S256', async () => {
    const response = await new NavigatingBrowser().request(`${apacheUrl}/protected/index.shtml`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${issuerOf(server, tenant.environmentId)}/auth`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('redirect_uri')).toBe(`${apacheUrl}/protected/redirect_uri`);
    expect(location.searchParams.get('response_type')).toBe('code');
  });

  /** From the protected page through sump's login and consent pages, and back to the page. */
  async function signInThroughHttpd(browser: NavigatingBrowser): Promise<PageResponse> {
    const login = await browser.follow(`${apacheUrl}/protected/index.shtml`);
    expect(login.status).toBe(200);
    expect(login.url).toMatch(new RegExp(`/oidc/${tenant.environmentId}/interaction/[^/]+$`));
    const consent = await browser.submit(login, { identifier: user.email, password: user.password });
    expect(pageText(consent)).toContain('Apache intranet');
    return browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
  }

  it('reaches the protected page after signing in at sump, and the claims httpd passes are the user’s', async () => {
    const browser = new NavigatingBrowser();
    const page = await signInThroughHttpd(browser);

    expect(page.url).toBe(`${apacheUrl}/protected/index.shtml`);
    expect(page.status).toBe(200);
    expect(findElement(page, 'h1')?.textContent).toBe('Members only');
    const shown = (id: string) => findElement(page, `#${id}`)?.textContent;
    expect(shown('email')).toBe(user.email);
    expect(page.headers.get('x-claim-email')).toBe(user.email);
    expect(shown('name')).toBe('Katherine Johnson');
    expect(shown('sub')).toBe(user.accountId);
    expect(shown('remote-user')).toBe(user.email);

    // the session httpd keeps in its cookie serves the next request without another sign-in,
    // and a claim header sent by the browser is not believed
    const again = await browser.request(`${apacheUrl}/protected/index.shtml`, { headers: { 'OIDC_CLAIM_email': 'mallory@example.com' } });
    expect(again.status).toBe(200);
    expect(findElement(again, '#email')?.textContent).toBe(user.email);
    expect(again.headers.get('x-claim-email')).toBe(user.email);
    expect(errorLog()).not.toMatch(/\[auth_openidc:error\]/);
  });

  it('logs out through httpd (RP-initiated, id_token_hint): both sessions end, and sump sends the browser back', async () => {
    const browser = new NavigatingBrowser();
    expect((await signInThroughHttpd(browser)).status).toBe(200);
    const loggedOutPage = `${apacheUrl}/index.html`;
    const leaving = await browser.request(`${apacheUrl}/protected/redirect_uri?logout=${encodeURIComponent(loggedOutPage)}`);
    const endSession = new URL(leaving.headers.get('location') as string);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${issuerOf(server, tenant.environmentId)}/session/end`);
    expect(endSession.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(loggedOutPage);
    const confirmation = await browser.follow(endSession.href);
    expect(confirmation.url).toMatch(new RegExp(`/oidc/${tenant.environmentId}/session/end`));
    expect(findElement(confirmation, 'button[name=logout][value=yes]')).not.toBeNull();
    const back = await browser.submit(confirmation, {}, { button: { name: 'logout', value: 'yes' } });
    expect([back.url, back.status, findElement(back, '#public')?.textContent]).toEqual([loggedOutPage, 200, 'Signed out']);
    expect(back.headers.get('content-type')).toMatch(/^text\/html/);

    // httpd's session is gone, and so is sump's: the next visit meets the login form again
    const login = await browser.follow(`${apacheUrl}/protected/index.shtml`);
    expect(login.url).toMatch(new RegExp(`/oidc/${tenant.environmentId}/interaction/[^/]+$`));
    expect(findElement(login, 'input[name=password]')).not.toBeNull();
  });

  it('refuses a wrong password at sump: httpd never shows the page', async () => {
    const browser = new NavigatingBrowser();
    const login = await browser.follow(`${apacheUrl}/protected/index.shtml`);
    const refused = await browser.submit(login, { identifier: user.email, password: 'not the password at all' });
    expect(refused.url).toMatch(new RegExp(`/oidc/${tenant.environmentId}/interaction/`));
    expect(findElement(refused, 'h1')?.textContent).not.toBe('Members only');
    const direct = await browser.request(`${apacheUrl}/protected/index.shtml`);
    expect(direct.status).toBe(302);
  });
});
