import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const OTHER_SECRET = 'another-test-secret-that-is-long-enough-987654';
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'sump-config-test-'));

/** loadConfig with a DATA_DIR of its own, so no test writes ./data. */
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: tempDir(), ...env });

/** The ConfigError that loading throws, to assert the variable it names. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('parses every variable of DESIGN.md', () => {
    const dataDir = tempDir();
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '9090',
      PUBLIC_URL: 'https://id.example.com/',
      DATABASE_URL: 'postgres://sump:pw@db.internal:5433/sump',
      ARGON2_MEMORY_KIB: '65536',
      ARGON2_TIME_COST: '3',
      ARGON2_PARALLELISM: '2',
      DATA_DIR: dataDir,
      AUTH_SECRET: SECRET,
      AUTH_SECRET_PREVIOUS: OTHER_SECRET,
      LOG_LEVEL: 'debug',
      SMTP_URL: 'smtps://user:pass@smtp.example.com:465',
      MAIL_FROM: 'Example <id@example.com>',
      TRUST_PROXY: 'true',
      ALLOW_TENANT_SIGNUP: 'true',
      OPERATOR_TOKEN: 'operator-token-that-is-at-least-32-characters',
      CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173',
    });
    expect(config).toEqual({
      nodeEnv: 'production',
      port: 9090,
      publicUrl: 'https://id.example.com',
      database: { kind: 'postgres', connectionString: 'postgres://sump:pw@db.internal:5433/sump' },
      dataDir,
      argon2: { memoryKib: 65536, timeCost: 3, parallelism: 2 },
      authSecret: SECRET,
      authSecretPrevious: OTHER_SECRET,
      authSecretGenerated: false,
      logLevel: 'debug',
      smtpUrl: 'smtps://user:pass@smtp.example.com:465',
      mailFrom: 'Example <id@example.com>',
      trustProxy: true,
      allowTenantSignup: true,
      operatorToken: 'operator-token-that-is-at-least-32-characters',
      corsOrigins: ['https://admin.example.com', 'http://localhost:5173'],
    });
  });

  it('has the documented defaults', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: SECRET });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      database: { kind: 'embedded', dataDir: path.join(dataDir, 'pglite') },
      argon2: { memoryKib: 19456, timeCost: 2, parallelism: 1 },
      authSecretPrevious: undefined,
      logLevel: 'info',
      smtpUrl: undefined,
      mailFrom: 'sump <no-reply@localhost>',
      trustProxy: false,
      allowTenantSignup: true,
      operatorToken: undefined,
      corsOrigins: [],
    });
  });

  it('derives PUBLIC_URL from PORT when it is not set', () => {
    expect(load({ AUTH_SECRET: SECRET, PORT: '3000' }).publicUrl).toBe('http://localhost:3000');
  });

  it('treats an empty variable as unset', () => {
    const config = load({ AUTH_SECRET: SECRET, PORT: '', DATABASE_URL: '', SMTP_URL: '' });
    expect(config.port).toBe(8080);
    expect(config.database.kind).toBe('embedded');
    expect(config.smtpUrl).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'ftp://x'],
    ['PUBLIC_URL', 'not a url'],
    ['ARGON2_MEMORY_KIB', '1'],
    ['ARGON2_TIME_COST', '0'],
    ['ARGON2_PARALLELISM', 'many'],
    ['DATABASE_URL', 'mysql://user@localhost/sump'],
    ['DB_PORT', 'x'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['TRUST_PROXY', 'maybe'],
    ['ALLOW_TENANT_SIGNUP', 'sometimes'],
    ['OPERATOR_TOKEN', 'short'],
    ['CORS_ORIGINS', 'https://admin.example.com/path'],
    ['AUTH_SECRET_PREVIOUS', 'too-short'],
  ])('names the variable of a bad value: %s=%s', (variable, value) => {
    const error = configErrorOf({ AUTH_SECRET: SECRET, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: `));
  });

  describe('database', () => {
    it('uses DATABASE_URL over the DB_* variables when both are set', () => {
      const config = load({
        AUTH_SECRET: SECRET,
        DATABASE_URL: 'postgres://from-url@url-host:5432/urldb',
        DB_HOST: 'db-host',
        DB_NAME: 'dbdb',
      });
      expect(config.database).toEqual({ kind: 'postgres', connectionString: 'postgres://from-url@url-host:5432/urldb' });
    });

    it('builds a URL from the DB_* variables, escaping what needs it', () => {
      const config = load({
        AUTH_SECRET: SECRET,
        DB_HOST: 'db.internal',
        DB_PORT: '6543',
        DB_USER: 'sump app',
        DB_PASSWORD: 'p@ss:w/rd%',
        DB_NAME: 'sump_prod',
      });
      expect(config.database.kind).toBe('postgres');
      const url = new URL(config.database.kind === 'postgres' ? config.database.connectionString : '');
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('db.internal');
      expect(url.port).toBe('6543');
      expect(decodeURIComponent(url.username)).toBe('sump app');
      expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd%');
      expect(url.pathname).toBe('/sump_prod');
    });

    it('defaults the DB_* parts it is not given', () => {
      const config = load({ AUTH_SECRET: SECRET, DB_HOST: 'db' });
      expect(config.database).toEqual({ kind: 'postgres', connectionString: 'postgres://postgres@db:5432/sump' });
    });

    it('accepts an IPv6 DB_HOST', () => {
      const config = load({ AUTH_SECRET: SECRET, DB_HOST: '::1' });
      expect(config.database).toEqual({ kind: 'postgres', connectionString: 'postgres://postgres@[::1]:5432/sump' });
    });

    it('refuses a DB_HOST that is not a host name', () => {
      expect(configErrorOf({ AUTH_SECRET: SECRET, DB_HOST: 'db host/x' }).variable).toBe('DB_HOST');
    });

    it('is embedded under DATA_DIR with neither DATABASE_URL nor DB_HOST', () => {
      const dataDir = tempDir();
      const config = loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: SECRET, DB_USER: 'ignored' });
      expect(config.database).toEqual({ kind: 'embedded', dataDir: path.join(dataDir, 'pglite') });
    });
  });

  describe('AUTH_SECRET', () => {
    it('is generated once in DATA_DIR in embedded mode outside production, and reused', () => {
      const dataDir = tempDir();
      const first = loadConfig({ DATA_DIR: dataDir });
      expect(first.authSecretGenerated).toBe(true);
      expect(first.authSecret.length).toBeGreaterThanOrEqual(32);
      const file = path.join(dataDir, 'auth-secret');
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8').trim()).toBe(first.authSecret);
      const second = loadConfig({ DATA_DIR: dataDir });
      expect(second.authSecret).toBe(first.authSecret);
      expect(second.authSecretGenerated).toBe(true);
      expect(loadConfig({ DATA_DIR: tempDir() }).authSecret).not.toBe(first.authSecret);
    });

    it('makes DATA_DIR when it does not exist yet', () => {
      const dataDir = path.join(tempDir(), 'nested', 'data');
      expect(loadConfig({ DATA_DIR: dataDir }).authSecretGenerated).toBe(true);
      expect(existsSync(path.join(dataDir, 'auth-secret'))).toBe(true);
    });

    it('is required in production', () => {
      const error = configErrorOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.com' });
      expect(error.variable).toBe('AUTH_SECRET');
      expect(error.message).toMatch(/production/);
    });

    it.each([
      ['DATABASE_URL', { DATABASE_URL: 'postgres://localhost/sump' }],
      ['DB_HOST', { DB_HOST: 'localhost' }],
    ])('is required with an external database (%s)', (_name, env) => {
      const dataDir = tempDir();
      const error = (() => {
        try {
          loadConfig({ DATA_DIR: dataDir, ...env });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('AUTH_SECRET');
      expect(existsSync(path.join(dataDir, 'auth-secret'))).toBe(false);
    });

    it('must be at least 32 characters', () => {
      const error = configErrorOf({ AUTH_SECRET: 'x'.repeat(31) });
      expect(error.variable).toBe('AUTH_SECRET');
      expect(error.message).toMatch(/32/);
      expect(load({ AUTH_SECRET: 'x'.repeat(32) }).authSecret).toBe('x'.repeat(32));
    });

    it('refuses a damaged generated secret instead of using it', () => {
      const dataDir = tempDir();
      loadConfig({ DATA_DIR: dataDir });
      // Emptied by an accident: sump must not run with an empty key, nor quietly make a new one.
      writeFileSync(path.join(dataDir, 'auth-secret'), '\n');
      const error = configErrorOf({ DATA_DIR: dataDir });
      expect(error.variable).toBe('AUTH_SECRET');
      expect(error.message).toMatch(/damaged/);
    });
  });

  describe('production', () => {
    const production = { NODE_ENV: 'production', AUTH_SECRET: SECRET };

    it('refuses an http PUBLIC_URL whose host is not loopback', () => {
      const error = configErrorOf({ ...production, PUBLIC_URL: 'http://id.example.com' });
      expect(error.variable).toBe('PUBLIC_URL');
      expect(error.message).toMatch(/https/);
    });

    it.each(['http://localhost:8080', 'http://127.0.0.1:8080', 'http://[::1]:8080', 'https://id.example.com'])(
      'accepts %s',
      (publicUrl) => {
        expect(load({ ...production, PUBLIC_URL: publicUrl }).publicUrl).toBe(publicUrl);
      },
    );

    it('turns open tenant signup off by default, and lets it be turned on', () => {
      expect(load(production).allowTenantSignup).toBe(false);
      expect(load({ ...production, ALLOW_TENANT_SIGNUP: 'true' }).allowTenantSignup).toBe(true);
      expect(load({ AUTH_SECRET: SECRET }).allowTenantSignup).toBe(true);
      expect(load({ AUTH_SECRET: SECRET, NODE_ENV: 'test' }).allowTenantSignup).toBe(true);
      expect(load({ AUTH_SECRET: SECRET, ALLOW_TENANT_SIGNUP: 'false' }).allowTenantSignup).toBe(false);
    });
  });

  it('is frozen, nested objects included', () => {
    const config = load({ AUTH_SECRET: SECRET, CORS_ORIGINS: 'https://a.example.com' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.argon2)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads only the environment it is given', () => {
    const before = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(load({ AUTH_SECRET: SECRET }).port).toBe(8080);
    } finally {
      if (before === undefined) delete process.env.PORT;
      else process.env.PORT = before;
    }
  });
});
