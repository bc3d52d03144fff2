/**
 * npm run demo — sump and a sample app, signed in within a minute of `npm install`.
 *
 * Starts sump on the embedded database (DATABASE_URL and DB_* are ignored), creates once through
 * sump's own REST API a demo tenant (with its owner), environment, first-party client and user,
 * remembers them in DATA_DIR/demo.json (mode 0600: it holds passwords and the client secret),
 * starts the sample app (examples/sample-app) and prints the URL to open and the credentials.
 * A second run on the same DATA_DIR reuses demo.json. Ctrl-C (or SIGTERM) stops both.
 *
 * PORT (default 8080), SAMPLE_APP_PORT (default 7777), SAMPLE_APP_URL and DATA_DIR (default
 * ./data) are read as usual; LOG_LEVEL defaults to warn so that the printout stays readable.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SAMPLE_APP_PORT, startSampleApp, type SampleApp } from '../examples/sample-app/sample-app.js';
import { ConfigError, loadConfig, type Config } from '../src/config/config.js';
import { createLogger } from '../src/logger.js';
import { PortInUseError, startSump, type RunningSump } from '../src/server.js';

const EXTERNAL_DATABASE_VARIABLES = ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME'] as const;
const DEMO_FILE = 'demo.json';
const DEMO_USER = { name: 'Demo User', email: 'demo@example.com', username: 'demo' };
const DEMO_OWNER = { name: 'Demo Owner', email: 'owner@example.com', username: 'demo-owner' };

/** What a first run created; a later run reads it back instead of creating anything. */
const demoFile = z.object({
  version: z.literal(1),
  tenantId: z.string().uuid(),
  environmentId: z.string().uuid(),
  owner: z.object({ accountId: z.string(), email: z.string(), username: z.string(), password: z.string() }),
  client: z
    .object({ clientId: z.string(), clientSecret: z.string(), sampleAppUrl: z.string() })
    .optional(),
  user: z.object({ accountId: z.string(), email: z.string(), username: z.string(), password: z.string() }).optional(),
});
type DemoFile = z.infer<typeof demoFile>;
type CompleteDemo = DemoFile & Required<Pick<DemoFile, 'client' | 'user'>>;

class DemoError extends Error {}

const generatePassword = () => randomBytes(15).toString('base64url');

/** The demo's own view of the environment: the embedded database, whatever the shell says. */
function demoEnvironment(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; ignored: string[] } {
  const copy: NodeJS.ProcessEnv = { ...env };
  const ignored = EXTERNAL_DATABASE_VARIABLES.filter((name) => copy[name] !== undefined && copy[name] !== '');
  for (const name of EXTERNAL_DATABASE_VARIABLES) delete copy[name];
  copy.LOG_LEVEL ||= 'warn';
  return { env: copy, ignored };
}

function sampleAppSettings(env: NodeJS.ProcessEnv): { port: number; url: string } {
  const raw = env.SAMPLE_APP_PORT?.trim();
  if (raw && (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535)) {
    throw new DemoError(`SAMPLE_APP_PORT must be a port number, not "${raw}"`);
  }
  const port = raw ? Number(raw) : DEFAULT_SAMPLE_APP_PORT;
  const given = env.SAMPLE_APP_URL?.trim() || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new DemoError(`SAMPLE_APP_URL must be a URL, not "${given}"`);
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
    throw new DemoError(`SAMPLE_APP_URL must be an http(s) origin only (scheme://host[:port]), not "${given}"`);
  }
  return { port, url: url.origin };
}

function readDemoFile(file: string): DemoFile | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = demoFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new DemoError(`${file} is not a demo file this version understands: move it away to start the demo afresh`);
  return parsed.data;
}

/** Written whole or not at all, readable by its owner only. */
function writeDemoFile(file: string, demo: DemoFile): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** A small client of sump's REST API that turns a problem+json answer into a readable error. */
function createApiClient(base: string, operatorToken: string | undefined) {
  return async function call(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
    cookie?: string,
  ): Promise<{ json: Record<string, unknown>; cookie: string | undefined }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    if (route === '/tenants' && operatorToken) headers.authorization = `Bearer ${operatorToken}`;
    const response = await fetch(`${base}/api/v1${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const fields = Array.isArray(json.errors) ? ` (${json.errors.map((e: { field?: string; message?: string }) => `${e.field}: ${e.message}`).join('; ')})` : '';
      throw new DemoError(`${method} /api/v1${route} answered ${response.status} ${String(json.code ?? '')}: ${String(json.detail ?? json.title ?? '')}${fields}`);
    }
    const session = response.headers.getSetCookie().find((value) => value.startsWith('sump_session='));
    return { json, cookie: session?.split(';')[0] };
  };
}

/** Creates what demo.json does not hold yet, saving after every step, and answers the whole demo. */
async function ensureDemo(options: { api: ReturnType<typeof createApiClient>; file: string; sampleAppUrl: string; base: string }): Promise<{ demo: CompleteDemo; created: string[] }> {
  const { api, file, sampleAppUrl } = options;
  const created: string[] = [];
  let demo = readDemoFile(file);
  let ownerCookie: string | undefined;

  if (!demo) {
    const password = generatePassword();
    const tenant = await api('POST', '/tenants', {
      tenant: { name: 'Demo company' },
      account: { ...DEMO_OWNER, password },
      environment: { name: 'demo' },
    });
    ownerCookie = tenant.cookie;
    demo = {
      version: 1,
      tenantId: String(tenant.json.tenantId),
      environmentId: String(tenant.json.environmentId),
      owner: { accountId: String(tenant.json.accountId), email: DEMO_OWNER.email, username: DEMO_OWNER.username, password },
    };
    writeDemoFile(file, demo);
    created.push('tenant', 'environment');
  } else {
    // demo.json outlived its database (DATA_DIR/pglite removed, or another DATA_DIR): say so.
    const discovery = await fetch(`${options.base}/oidc/${demo.environmentId}/.well-known/openid-configuration`);
    if (discovery.status === 404) {
      throw new DemoError(`${file} names environment ${demo.environmentId}, which this database does not have: move ${file} away to create the demo again`);
    }
  }

  if (!demo.client || demo.client.sampleAppUrl !== sampleAppUrl) {
    if (demo.client) console.log(`The sample app's URL changed (${demo.client.sampleAppUrl} → ${sampleAppUrl}): registering a client for the new one.`);
    ownerCookie ??= (
      await api('POST', `/auth/tenants/${demo.tenantId}/login`, { email: demo.owner.email, password: demo.owner.password })
    ).cookie;
    const client = await api(
      'POST',
      `/environments/${demo.environmentId}/clients`,
      { name: 'sump sample app', redirectUris: [`${sampleAppUrl}/callback`], postLogoutRedirectUris: [`${sampleAppUrl}/`], firstParty: true },
      ownerCookie,
    );
    demo = { ...demo, client: { clientId: String(client.json.clientId), clientSecret: String(client.json.clientSecret), sampleAppUrl } };
    writeDemoFile(file, demo);
    created.push('client');
  }

  if (!demo.user) {
    const password = generatePassword();
    const signup = await api('POST', `/auth/environments/${demo.environmentId}/signup`, { ...DEMO_USER, password });
    demo = { ...demo, user: { accountId: String(signup.json.accountId), email: DEMO_USER.email, username: DEMO_USER.username, password } };
    writeDemoFile(file, demo);
    created.push('user');
  }
  return { demo: demo as CompleteDemo, created };
}

function printDemo(config: Config, demo: CompleteDemo, sampleApp: SampleApp, file: string, created: string[]): void {
  const issuer = `${config.publicUrl}/oidc/${demo.environmentId}`;
  const login = `curl -s -c cookies.txt ${config.publicUrl}/api/v1/auth/tenants/${demo.tenantId}/login -H 'Content-Type: application/json' -d '{"email":"${demo.owner.email}","password":"${demo.owner.password}"}'`;
  const rule = '─'.repeat(72);
  const line = (label: string, value: string) => `  ${`${label}:`.padEnd(24)}${value}`;
  process.stdout.write(
    [
      '',
      rule,
      created.length > 0 ? `  sump demo is ready (created: ${created.join(', ')}).` : `  sump demo is ready (reusing ${file}).`,
      '',
      line('Open this URL', `${sampleApp.url}/`),
      '  and sign in on sump’s login page as the demo user:',
      line('Demo user email', demo.user.email),
      line('Demo user password', demo.user.password),
      '',
      '  The admin API (/api/v1), as the tenant owner:',
      line('Tenant id', demo.tenantId),
      line('Environment id', demo.environmentId),
      line('Tenant owner email', demo.owner.email),
      line('Tenant owner password', demo.owner.password),
      line('Issuer', issuer),
      line('Client id', demo.client.clientId),
      `  Sign in to the API (then pass -b cookies.txt):`,
      `    ${login}`,
      '',
      `  All of it (the client secret too) is kept in ${file}.`,
      '  Ctrl-C stops sump and the sample app.',
      rule,
      '',
    ].join('\n'),
  );
}

/** Fails early when the sample app's port is taken, before a client is registered for it. */
async function assertPortFree(port: number, variable: string): Promise<void> {
  const probe = createTcpServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new DemoError(`port ${port} is already in use (set ${variable} to another one)`) : error),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  const { env, ignored } = demoEnvironment(process.env);
  if (ignored.length > 0) {
    console.log(`npm run demo runs on the embedded database only: ignoring ${ignored.join(', ')} (set in your environment).`);
  }
  const config = loadConfig(env);
  if (config.database.kind !== 'embedded') throw new DemoError('the demo runs on the embedded database only');
  const embeddedDir = config.database.dataDir;
  const sampleSettings = sampleAppSettings(env);
  const file = path.join(config.dataDir, DEMO_FILE);
  const logger = createLogger(config);
  if (config.authSecretGenerated) console.log(`AUTH_SECRET is not set: using the secret generated and kept in ${config.dataDir} (fine for a demo).`);

  let running: RunningSump | undefined;
  let sampleApp: SampleApp | undefined;
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (reason) console.log(`\n${reason}: stopping the sample app and sump…`);
    setTimeout(() => process.exit(code || 1), 10_000).unref();
    await Promise.allSettled([sampleApp?.close(), running?.stop()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  try {
    await assertPortFree(sampleSettings.port, 'SAMPLE_APP_PORT');
    const fresh = !existsSync(embeddedDir);
    console.log(
      `Starting sump on port ${config.port}, on the embedded database in ${config.dataDir}…` +
        (fresh ? ' (creating the database the first time takes 10 to 20 seconds)' : ''),
    );
    try {
      running = await startSump(config, logger);
    } catch (error) {
      throw error instanceof PortInUseError ? new DemoError(error.message) : error;
    }
    const port = running.port;

    const base = `http://127.0.0.1:${port}`;
    const { demo, created } = await ensureDemo({ api: createApiClient(base, config.operatorToken), file, sampleAppUrl: sampleSettings.url, base });
    sampleApp = await startSampleApp({
      issuer: `${config.publicUrl}/oidc/${demo.environmentId}`,
      clientId: demo.client.clientId,
      clientSecret: demo.client.clientSecret,
      port: sampleSettings.port,
      url: sampleSettings.url,
    });
    printDemo(config, demo, sampleApp, file, created);
  } catch (error) {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof DemoError)) logger.debug({ err: error }, 'demo failed');
    await stop('', 1);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
  console.error(`demo: ${message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
