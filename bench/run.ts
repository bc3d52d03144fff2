/**
 * npm run bench — sump's speed and memory, measured, never asserted in tests.
 *
 * Starts sump as its own process (so the load generator does not share its event loop) on a
 * fresh embedded database, or on BENCH_DATABASE_URL, makes a tenant, a client and a user through
 * the API, then loads it over loopback with autocannon and prints a Markdown table.
 *
 *   BENCH_SECONDS   seconds per scenario (default 5)
 *   BENCH_CONNECTIONS  concurrent connections (default 10)
 *   BENCH_ENVIRONMENTS how many environments the issuer-cost scenario builds (default 100)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as oidc from 'openid-client';
import { HttpBrowser } from '../tests/helpers/http-browser.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ENVIRONMENTS = Number(process.env.BENCH_ENVIRONMENTS ?? 100);
const PASSWORD = 'correct horse battery staple';
const REDIRECT_URI = 'http://localhost:7777/callback';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startSump() {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sump-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sump is serving')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sump exited with ${code}:\n${output}`)));
  });
  return {
    url,
    database: databaseUrl ? 'PostgreSQL' : 'embedded (PGlite)',
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function post(url: string, body: unknown, cookie?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${url} → ${response.status}: ${JSON.stringify(json)}`);
  return { json, cookie: response.headers.getSetCookie().find((c) => c.startsWith('sump_session='))?.split(';')[0] };
}

interface Row {
  scenario: string;
  rate: string;
  p50: string;
  p99: string;
  note: string;
}

async function load(scenario: string, options: autocannon.Options, note = ''): Promise<Row> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const failed = result.non2xx + result.errors;
  return {
    scenario,
    rate: `${Math.round(result.requests.average)} req/s`,
    p50: `${result.latency.p50} ms`,
    p99: `${result.latency.p99} ms`,
    note: [note, failed > 0 ? `${failed} failed` : ''].filter(Boolean).join('; '),
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function codeFlows(issuer: string, clientId: string, clientSecret: string, user: string, count: number) {
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  const durations: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorization = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = new HttpBrowser((next) => next.startsWith('http://localhost:7777/'));
    const login = await browser.follow(authorization.href);
    const callback = await browser.submit(login, { identifier: user, password: PASSWORD });
    await oidc.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const total = durations.reduce((sum, value) => sum + value, 0);
  return {
    scenario: `code + PKCE flow, end to end (${count} in a row)`,
    rate: `${(count / (total / 1000)).toFixed(1)} flows/s`,
    p50: `${Math.round(durations[Math.floor(count / 2)] ?? 0)} ms`,
    p99: `${Math.round(durations[Math.floor(count * 0.99)] ?? 0)} ms`,
    note: 'authorization request, login page, login, code, token exchange; one client',
  };
}

/**
 * One grant's refresh token used `count` times in a row, each time the one the last answer gave
 * (rotation): the token endpoint's refresh_token grant, one request at a time.
 */
async function refreshChain(issuer: string, clientId: string, clientSecret: string, user: string, count: number): Promise<Row> {
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const authorization = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const browser = new HttpBrowser((next) => next.startsWith('http://localhost:7777/'));
  const consent = await browser.submit(await browser.follow(authorization.href), { identifier: user, password: PASSWORD });
  const callback = await browser.submit(consent, {}, { button: { name: 'decision', value: 'allow' } });
  const first = await oidc.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: oidc.skipStateCheck });
  let refreshToken = first.refresh_token as string;
  const durations: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    refreshToken = (await oidc.refreshTokenGrant(config, refreshToken)).refresh_token as string;
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const total = durations.reduce((sum, value) => sum + value, 0);
  return {
    scenario: `token, refresh_token with rotation (${count} in a row)`,
    rate: `${(count / (total / 1000)).toFixed(0)} req/s`,
    p50: `${(durations[Math.floor(count / 2)] ?? 0).toFixed(1)} ms`,
    p99: `${(durations[Math.floor(count * 0.99)] ?? 0).toFixed(1)} ms`,
    note: 'old token consumed, new access and refresh token stored, ID token signed',
  };
}

/**
 * Forgot-password for known and unknown emails, one request at a time, alternating. Its limits
 * are fixed (5 an hour per identifier, 30 per 15 minutes per address), not an environment's
 * setting: each known account is asked once and the sample stays under the address's 30.
 */
async function forgotTimings(url: string, environmentId: string, known: readonly string[]): Promise<Row[]> {
  const endpoint = `${url}/api/v1/auth/environments/${environmentId}/forgot-password`;
  const durations = { known: [] as number[], unknown: [] as number[] };
  const ask = async (email: string, into: number[]) => {
    const started = performance.now();
    const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    await response.arrayBuffer();
    into.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`forgot-password → ${response.status}`);
  };
  for (const [i, email] of known.entries()) {
    await ask(email, durations.known);
    await ask(`nobody-${i}@bench.example`, durations.unknown);
  }
  const row = (scenario: string, values: number[], note: string): Row => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      scenario,
      rate: `${values.length} in a row`,
      p50: `${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} ms`,
      p99: `${(sorted[sorted.length - 1] ?? 0).toFixed(1)} ms (max)`,
      note,
    };
  };
  return [
    row('forgot-password, known email', durations.known, 'records the request; link and mail made in the background'),
    row('forgot-password, unknown email', durations.unknown, 'the same insert: timing does not tell accounts apart'),
  ];
}

async function main() {
  const sump = await startSump();
  try {
    const tenant = await post(`${sump.url}/api/v1/tenants`, {
      tenant: { name: 'Bench' },
      account: { name: 'Bench Owner', email: 'owner@bench.example', username: 'bench-owner', password: PASSWORD },
      environment: { name: 'bench' },
    });
    const environmentId = tenant.json.environmentId as string;
    const cookie = tenant.cookie as string;
    // The login scenarios measure hashing, not the sign-in rate limits: lift them for this run.
    const lifted = await fetch(`${sump.url}/api/v1/tenants/${tenant.json.tenantId}/environments/${environmentId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ settings: { rateLimits: { loginsPerIdentifier: 1000, loginsPerAddress: 100_000 } } }),
    });
    if (lifted.status !== 200) throw new Error(`could not lift the rate limits: ${lifted.status} ${await lifted.text()}`);
    const issuer = `${sump.url}/oidc/${environmentId}`;
    const client = await post(
      `${sump.url}/api/v1/environments/${environmentId}/clients`,
      { name: 'Bench app', redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], firstParty: true },
      cookie,
    );
    const clientId = client.json.clientId as string;
    const clientSecret = client.json.clientSecret as string;
    await post(`${sump.url}/api/v1/auth/environments/${environmentId}/signup`, {
      name: 'Bench User', email: 'user@bench.example', username: 'bench-user', password: PASSWORD,
    });
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;

    const rows: Row[] = [];
    rows.push(await load('discovery', { url: `${issuer}/.well-known/openid-configuration` }));
    rows.push(await load('JWKS', { url: `${issuer}/jwks` }));
    rows.push(
      await load('token, client_credentials', {
        url: `${issuer}/token`,
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }, 'client secret check, opaque token stored'),
    );
    rows.push(
      await load('JSON login (environment account)', {
        url: `${sump.url}/api/v1/auth/environments/${environmentId}/login`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'user@bench.example', password: PASSWORD }),
      }, 'argon2id m=19456 t=2 p=1 per request'),
    );
    rows.push(
      await load('JSON login, unknown email', {
        url: `${sump.url}/api/v1/auth/environments/${environmentId}/login`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@bench.example', password: PASSWORD }),
      }, 'answers 401 (counted as failed); same hash cost as a known one'),
    );
    rows.push(await codeFlows(issuer, clientId, clientSecret, 'user@bench.example', 30));
    rows.push(await refreshChain(issuer, clientId, clientSecret, 'user@bench.example', 200));

    const forgetful: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const email = `forgetful-${i}@bench.example`;
      await post(`${sump.url}/api/v1/auth/environments/${environmentId}/signup`, {
        name: 'Bench Forgetful', email, username: `bench-forgetful-${i}`, password: PASSWORD,
      });
      forgetful.push(email);
    }
    rows.push(...(await forgotTimings(sump.url, environmentId, forgetful)));

    // What an environment costs once its issuer is built.
    const ids: string[] = [];
    for (let i = 0; i < ENVIRONMENTS; i += 1) {
      const environment = await post(`${sump.url}/api/v1/tenants/${tenant.json.tenantId}/environments`, { name: `env-${i}` }, cookie);
      ids.push(environment.json.id as string);
    }
    await fetch(`${sump.url}/metrics`);
    const heapBefore = await metric(sump.url, 'nodejs_heap_size_used_bytes');
    const rssBefore = await metric(sump.url, 'process_resident_memory_bytes');
    const started = performance.now();
    for (const id of ids) await fetch(`${sump.url}/oidc/${id}/.well-known/openid-configuration`);
    const firstHits = performance.now() - started;
    const heapAfter = await metric(sump.url, 'nodejs_heap_size_used_bytes');
    const rssAfter = await metric(sump.url, 'process_resident_memory_bytes');
    rows.push({
      scenario: `first request to ${ENVIRONMENTS} fresh issuers`,
      rate: `${(firstHits / ENVIRONMENTS).toFixed(1)} ms each`,
      p50: '',
      p99: '',
      note: `heap +${((heapAfter - heapBefore) / ENVIRONMENTS / 1024).toFixed(0)} KiB, RSS +${((rssAfter - rssBefore) / ENVIRONMENTS / 1024).toFixed(0)} KiB per built issuer (heap is noisy: GC)`,
    });

    process.stdout.write(`\nsump benchmark — ${sump.database}, ${CONNECTIONS} connections, ${SECONDS} s per scenario\n\n`);
    process.stdout.write('| scenario | throughput | p50 | p99 | note |\n|---|---|---|---|---|\n');
    for (const row of rows) process.stdout.write(`| ${row.scenario} | ${row.rate} | ${row.p50} | ${row.p99} | ${row.note} |\n`);
  } finally {
    await sump.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
