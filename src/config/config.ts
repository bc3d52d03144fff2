import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Where sump keeps its data: the embedded PostgreSQL (PGlite) or a real server. */
export type DatabaseConfig =
  | { readonly kind: 'embedded'; readonly dataDir: string }
  | { readonly kind: 'postgres'; readonly connectionString: string };

export interface Argon2Config {
  readonly memoryKib: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  /** Base of every issuer and link, without a trailing slash. */
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  readonly dataDir: string;
  readonly argon2: Argon2Config;
  readonly authSecret: string;
  readonly authSecretPrevious: string | undefined;
  /** True when the secret was generated and kept in DATA_DIR (embedded mode outside production). */
  readonly authSecretGenerated: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly trustProxy: boolean;
  readonly allowTenantSignup: boolean;
  readonly operatorToken: string | undefined;
  readonly corsOrigins: readonly string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const AUTH_SECRET_MIN_LENGTH = 32;
const GENERATED_SECRET_FILE = 'auth-secret';

const optionalString = z
  .string()
  .transform((value) => value.trim())
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const integerString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const absoluteHttpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

/** Each variable's own schema, so that a failure names the variable. */
const variables = {
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  PORT: integerString(0, 65535).optional(),
  PUBLIC_URL: absoluteHttpUrl.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DB_HOST: optionalString,
  DB_PORT: integerString(1, 65535).optional(),
  DB_USER: optionalString,
  DB_PASSWORD: z.string().optional(),
  DB_NAME: optionalString,
  DATA_DIR: optionalString,
  ARGON2_MEMORY_KIB: integerString(1024, 4 * 1024 * 1024).optional(),
  ARGON2_TIME_COST: integerString(1, 100).optional(),
  ARGON2_PARALLELISM: integerString(1, 64).optional(),
  AUTH_SECRET: optionalString,
  AUTH_SECRET_PREVIOUS: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: optionalString,
  TRUST_PROXY: booleanString.optional(),
  ALLOW_TENANT_SIGNUP: booleanString.optional(),
  OPERATOR_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  CORS_ORIGINS: optionalString,
} as const;

type Variables = { [K in keyof typeof variables]: z.output<(typeof variables)[K]> };

function parseVariables(env: NodeJS.ProcessEnv): Variables {
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(variables)) {
    const raw = env[name];
    const result = schema.safeParse(raw === '' ? undefined : raw);
    if (!result.success) {
      throw new ConfigError(name, result.error.issues.map((issue) => issue.message).join('; '));
    }
    parsed[name] = result.data;
  }
  return parsed as Variables;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

function parseOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((entry) => {
    const origin = entry.trim();
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" must be an origin (scheme://host[:port]) only`);
    }
    return url.origin;
  });
}

/** A DB_HOST as a URL's host: a name or an IPv4 address as it is, an IPv6 address in brackets. */
function hostForUrl(host: string): string {
  if (/^[A-Za-z0-9._-]+$/.test(host)) return host;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare.includes(':') && /^[0-9A-Fa-f:.]+$/.test(bare)) return `[${bare}]`;
  throw new ConfigError('DB_HOST', 'must be a host name or an IP address (for anything else, use DATABASE_URL)');
}

function databaseFrom(vars: Variables, dataDir: string): DatabaseConfig {
  if (vars.DATABASE_URL) return { kind: 'postgres', connectionString: vars.DATABASE_URL };
  if (vars.DB_HOST) {
    const url = new URL('postgres://localhost');
    url.hostname = hostForUrl(vars.DB_HOST);
    url.port = String(vars.DB_PORT ?? 5432);
    url.username = encodeURIComponent(vars.DB_USER ?? 'postgres');
    if (vars.DB_PASSWORD) url.password = encodeURIComponent(vars.DB_PASSWORD);
    url.pathname = `/${encodeURIComponent(vars.DB_NAME ?? 'sump')}`;
    return { kind: 'postgres', connectionString: url.toString() };
  }
  return { kind: 'embedded', dataDir: path.join(dataDir, 'pglite') };
}

/**
 * The one secret every node shares. Only in embedded mode outside production may sump make one
 * itself; it is then kept in DATA_DIR so that a restart keeps sessions and decrypts its keys.
 */
function resolveAuthSecret(
  vars: Variables,
  nodeEnv: Config['nodeEnv'],
  database: DatabaseConfig,
  dataDir: string,
): { secret: string; generated: boolean } {
  if (vars.AUTH_SECRET) {
    if (vars.AUTH_SECRET.length < AUTH_SECRET_MIN_LENGTH) {
      throw new ConfigError('AUTH_SECRET', `must be at least ${AUTH_SECRET_MIN_LENGTH} characters`);
    }
    return { secret: vars.AUTH_SECRET, generated: false };
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('AUTH_SECRET', 'is required when NODE_ENV=production');
  }
  if (database.kind === 'postgres') {
    throw new ConfigError(
      'AUTH_SECRET',
      'is required with an external database (DATABASE_URL or DB_*): every node must share it',
    );
  }
  const file = path.join(dataDir, GENERATED_SECRET_FILE);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length < AUTH_SECRET_MIN_LENGTH) {
      throw new ConfigError(
        'AUTH_SECRET',
        `the generated secret kept in ${file} is damaged (shorter than ${AUTH_SECRET_MIN_LENGTH} characters): restore it, or set AUTH_SECRET`,
      );
    }
    return { secret: kept, generated: true };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, generated: true };
}

/** Reads the environment once into a frozen config; a bad value throws a ConfigError naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const vars = parseVariables(env);
  const nodeEnv = vars.NODE_ENV ?? 'development';
  const port = vars.PORT ?? 8080;
  const publicUrl = vars.PUBLIC_URL ?? `http://localhost:${port}`;
  const publicHost = new URL(publicUrl).hostname;
  if (nodeEnv === 'production' && !publicUrl.startsWith('https://') && !isLoopbackHost(publicHost)) {
    throw new ConfigError('PUBLIC_URL', 'must be https in production (unless its host is loopback)');
  }
  if (vars.AUTH_SECRET_PREVIOUS && vars.AUTH_SECRET_PREVIOUS.length < AUTH_SECRET_MIN_LENGTH) {
    throw new ConfigError('AUTH_SECRET_PREVIOUS', `must be at least ${AUTH_SECRET_MIN_LENGTH} characters`);
  }
  const dataDir = path.resolve(vars.DATA_DIR ?? './data');
  const database = databaseFrom(vars, dataDir);
  const { secret, generated } = resolveAuthSecret(vars, nodeEnv, database, dataDir);

  return Object.freeze({
    nodeEnv,
    port,
    publicUrl,
    database: Object.freeze(database),
    dataDir,
    argon2: Object.freeze({
      memoryKib: vars.ARGON2_MEMORY_KIB ?? 19456,
      timeCost: vars.ARGON2_TIME_COST ?? 2,
      parallelism: vars.ARGON2_PARALLELISM ?? 1,
    }),
    authSecret: secret,
    authSecretPrevious: vars.AUTH_SECRET_PREVIOUS,
    authSecretGenerated: generated,
    logLevel: vars.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    smtpUrl: vars.SMTP_URL,
    mailFrom: vars.MAIL_FROM ?? `sump <no-reply@${publicHost}>`,
    trustProxy: vars.TRUST_PROXY ?? false,
    allowTenantSignup: vars.ALLOW_TENANT_SIGNUP ?? nodeEnv !== 'production',
    operatorToken: vars.OPERATOR_TOKEN,
    corsOrigins: Object.freeze(parseOrigins(vars.CORS_ORIGINS)),
  });
}
