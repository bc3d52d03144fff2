import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { errorPage, signedInPage, signedOutPage, STYLESHEET } from './pages.js';
import { createSessionStore } from './sessions.js';

/**
 * A small relying party: authorization code flow with PKCE (S256), state and nonce, through
 * openid-client 6, on node:http. Sessions stay in this process's memory, keyed by a random
 * HttpOnly cookie; the browser never sees a token.
 */

export interface SampleAppOptions {
  /** The OIDC issuer, e.g. http://localhost:8080/oidc/<environmentId>. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Port to listen on; default 7777, 0 picks a free one. */
  readonly port?: number;
  /** The app's URL as the browser sees it (default http://localhost:<port>); the redirect URI is <url>/callback. */
  readonly url?: string;
  /** Interface to listen on; default every interface. */
  readonly host?: string;
  /** Where failures are reported (default console.error). */
  readonly onError?: (error: unknown) => void;
}

export interface SampleApp {
  /** The app's URL, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly issuer: string;
  close(): Promise<void>;
}

export const DEFAULT_SAMPLE_APP_PORT = 7777;
const COOKIE = 'sample_app_session';
const SCOPE = 'openid profile email';
/** An authorization request not finished in this time is forgotten. */
const PENDING_LOGIN_MS = 10 * 60 * 1000;

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Discovery, with plain http allowed only for an issuer on this machine. */
async function discover(options: SampleAppOptions): Promise<oidc.Configuration> {
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw new Error(`ISSUER "${options.issuer}" is not a URL`);
  }
  const insecure = issuer.protocol === 'http:';
  if (insecure && !isLoopback(issuer.hostname)) {
    throw new Error(`ISSUER must be https (plain http is accepted only on loopback): ${options.issuer}`);
  }
  const config = await oidc.discovery(
    issuer,
    options.clientId,
    undefined,
    oidc.ClientSecretBasic(options.clientSecret),
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  // Without this openid-client trusts the ID token from the TLS channel alone; with it, the
  // signature is checked against the issuer's JWKS.
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/** The app's own base URL: an origin, since its routes live at the root. */
function baseUrlOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname !== '/' || parsed.search || parsed.hash) {
    throw new Error(`SAMPLE_APP_URL must be an origin only (scheme://host[:port]), not ${url}`);
  }
  return parsed.origin;
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sendHtml(res: ServerResponse, status: number, html: string, cookie?: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  if (cookie) res.setHeader('Set-Cookie', cookie);
  res.end(html);
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  if (cookie) res.setHeader('Set-Cookie', cookie);
  res.end();
}

function describeError(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Starts the sample app: discovers the issuer first, so a wrong ISSUER fails here. */
export async function startSampleApp(options: SampleAppOptions): Promise<SampleApp> {
  const explicitBase = options.url === undefined ? undefined : baseUrlOf(options.url);
  const config = await discover(options);
  const sessions = createSessionStore();
  const onError = options.onError ?? ((error: unknown) => console.error('sample app:', error));
  let base = '';
  let secure = false;

  const sessionCookie = (id: string) => `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const clearedCookie = () => `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;

  /** GET /login: a fresh session holding this request's PKCE verifier, state and nonce. */
  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    sessions.destroy(readCookie(req, COOKIE));
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending = { codeVerifier, state: oidc.randomState(), nonce: oidc.randomNonce(), startedAt: Date.now() };
    const id = sessions.create({ pending });
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${base}/callback`,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    redirect(res, authorizationUrl.href, sessionCookie(id));
  }

  /** GET /callback: exchanges the code, checks the ID token, reads userinfo, signs the browser in. */
  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = readCookie(req, COOKIE);
    const pending = sessions.get(id)?.pending;
    // Single use, whatever happens next.
    sessions.destroy(id);
    if (!pending || Date.now() - pending.startedAt > PENDING_LOGIN_MS) {
      sendHtml(
        res,
        400,
        errorPage('Sign-in not in progress', 'This sign-in expired or was started in another browser.', { href: '/login', label: 'Sign in again' }),
        clearedCookie(),
      );
      return;
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(req.url ?? '/', base), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new Error('the token endpoint answered no ID token');
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      // A new session id once signed in: an id planted before sign-in is worth nothing.
      const signedInId = sessions.create({ signedIn: { idToken: tokens.id_token, claims: { ...claims }, userinfo: { ...userinfo } } });
      redirect(res, '/', sessionCookie(signedInId));
    } catch (error) {
      const refused = error instanceof oidc.AuthorizationResponseError;
      if (!refused) onError(error);
      sendHtml(
        res,
        refused ? 400 : 502,
        errorPage('Sign-in did not complete', describeError(error), { href: '/', label: 'Back to the app' }),
        clearedCookie(),
      );
    }
  }

  /** GET /logout: forgets the local session and asks the issuer to end its own (RP-initiated logout). */
  function logout(req: IncomingMessage, res: ServerResponse): void {
    const id = readCookie(req, COOKIE);
    const signedIn = sessions.get(id)?.signedIn;
    sessions.destroy(id);
    if (!signedIn) {
      redirect(res, '/', clearedCookie());
      return;
    }
    const endSessionUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: signedIn.idToken,
      post_logout_redirect_uri: `${base}/`,
    });
    redirect(res, endSessionUrl.href, clearedCookie());
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendHtml(res, 405, errorPage('Method not allowed', 'This app only answers GET.', { href: '/', label: 'Home' }));
      return;
    }
    const { pathname } = new URL(req.url ?? '/', base);
    switch (pathname) {
      case '/': {
        const signedIn = sessions.get(readCookie(req, COOKIE))?.signedIn;
        sendHtml(res, 200, signedIn ? signedInPage(signedIn) : signedOutPage(config.serverMetadata().issuer));
        return;
      }
      case '/login':
        return login(req, res);
      case '/callback':
        return callback(req, res);
      case '/logout':
        return logout(req, res);
      case '/style.css':
        res.setHeader('Content-Type', 'text/css; charset=utf-8');
        res.end(STYLESHEET);
        return;
      default:
        sendHtml(res, 404, errorPage('Not found', 'There is nothing at this address.', { href: '/', label: 'Home' }));
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendHtml(res, 500, errorPage('Something went wrong', describeError(error), { href: '/', label: 'Home' }));
      else res.destroy();
    });
  });
  const wanted = options.port ?? DEFAULT_SAMPLE_APP_PORT;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${wanted} is already in use (set SAMPLE_APP_PORT to another one)`) : error);
    server.once('error', failed);
    server.listen(wanted, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  base = explicitBase ?? `http://localhost:${port}`;
  secure = base.startsWith('https://');

  return {
    url: base,
    port,
    issuer: config.serverMetadata().issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
