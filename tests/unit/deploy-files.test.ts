import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';

/*
 * There is no Docker engine on these machines, so the Dockerfile and docker-compose.yml are
 * checked for what can be checked without one: what they copy exists, what they run is what the
 * build makes, what they configure is what sump reads.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Dockerfile instructions, continuation lines joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(' ');
      stages.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = instruction.args.split('=');
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const expand = (value: string, args: Map<string, string>) =>
  value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? '') ?? '');

/** COPY's sources and destination, and its --from stage if any. */
function copyOf(instruction: Instruction): { from: string | undefined; sources: string[]; destination: string } {
  const words = instruction.args.startsWith('[')
    ? (JSON.parse(instruction.args) as string[])
    : instruction.args.split(' ');
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

/** The environment entries of one service of docker-compose.yml (kept in plain block style). */
function composeEnvironment(text: string, service: string): Map<string, string> {
  const lines = text.split('\n');
  const env = new Map<string, string>();
  let inServices = false;
  let inService = false;
  let inEnvironment = false;
  for (const line of lines) {
    if (/^\S/.test(line)) inServices = line.startsWith('services:');
    if (!inServices) continue;
    const serviceMatch = /^ {2}([\w-]+):\s*$/.exec(line);
    if (serviceMatch) {
      inService = serviceMatch[1] === service;
      inEnvironment = false;
      continue;
    }
    if (!inService) continue;
    if (/^ {4}\S/.test(line)) inEnvironment = /^ {4}environment:\s*$/.test(line);
    const entry = /^ {6}([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(line);
    if (inEnvironment && entry) env.set(entry[1] ?? '', (entry[2] ?? '').replace(/^"(.*)"$/, '$1'));
  }
  return env;
}

/** The names of the variables config.ts parses (the keys of its `variables` object). */
function configVariables(): string[] {
  const source = read('src/config/config.ts');
  const block = /const variables = \{([\s\S]*?)\n\} as const;/.exec(source)?.[1] ?? '';
  return [...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1] ?? '');
}

/** docker compose's own substitution, for `${VAR:-default}`, `${VAR:?message}` and `${VAR}`. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, kind?: string, word?: string) => {
    if (given[name]) return given[name];
    if (kind === '-') return word ?? '';
    if (kind === '?') throw new Error(`${name} is required: ${word}`);
    return '';
  });
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const runtime = dockerfile.stages.at(-1) as Stage;
const compose = read('docker-compose.yml');

describe('Dockerfile', () => {
  it('builds and runs on Node 22 LTS (bookworm-slim) in several stages', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      const image = expand(stage.from, dockerfile.args);
      expect(image).toMatch(/^node:(\d+)-bookworm-slim$/);
      expect(/^node:(\d+)/.exec(image)?.[1]).toBe('22');
    }
  });

  it('builds with the dev dependencies and runs with the production ones only', () => {
    const build = dockerfile.stages.find((stage) => stage.name === 'build');
    expect(build).toBeDefined();
    const buildRuns = build?.instructions.filter((each) => each.keyword === 'RUN').map((each) => each.args) ?? [];
    expect(buildRuns.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
    expect(buildRuns.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    const runtimeRuns = runtime.instructions.filter((each) => each.keyword === 'RUN').map((each) => each.args);
    expect(runtimeRuns.some((run) => /\bnpm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(runtimeRuns.some((run) => /npm run build|tsc|tsx/.test(run))).toBe(false);
  });

  it('copies only what exists in the repository (or what the build stage makes), and .dockerignore keeps it', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((pattern) => new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`));
    const stageNames = dockerfile.stages.map((stage) => stage.name);
    let fromBuild = 0;
    for (const stage of dockerfile.stages) {
      for (const instruction of stage.instructions.filter((each) => each.keyword === 'COPY')) {
        const copy = copyOf(instruction);
        for (const source of copy.sources) {
          if (copy.from) {
            // Made by the build stage: dist/ is tsc's outDir there.
            expect(stageNames).toContain(copy.from);
            expect(source).toBe('/app/dist');
            fromBuild += 1;
            continue;
          }
          expect({ source, exists: existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
          if (source !== '.') {
            expect({ source, ignored: ignored.some((pattern) => pattern.test(source)) }).toEqual({ source, ignored: false });
          }
        }
      }
    }
    expect(fromBuild).toBe(1);
    const runtimeCopies = runtime.instructions.filter((each) => each.keyword === 'COPY').map(copyOf);
    expect(runtimeCopies.flatMap((copy) => copy.sources)).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', '/app/dist', 'views']),
    );
    // What the build compiles must reach the build context.
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const included of build.include.filter((entry) => existsSync(path.join(ROOT, entry)))) {
      expect({ included, ignored: ignored.some((pattern) => pattern.test(included)) }).toEqual({ included, ignored: false });
    }
    expect(build.include).toEqual(expect.arrayContaining(['src', 'migrations']));
  });

  it('runs node dist/src/main.js, the compiled src/main.ts, not npm start', () => {
    const cmd = runtime.instructions.filter((each) => each.keyword === 'CMD').at(-1);
    expect(JSON.parse(cmd?.args ?? '[]')).toEqual(['node', 'dist/src/main.js']);
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist' });
    // dist/<path>.js is <path>.ts under rootDir "." and outDir "dist".
    expect(existsSync(path.join(ROOT, 'src/main.ts'))).toBe(true);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node dist/src/main.js');
  });

  it('runs as a non-root user, production, on port 8080, with a health check that needs no curl', () => {
    const user = runtime.instructions.filter((each) => each.keyword === 'USER').at(-1);
    expect(user?.args).toBeDefined();
    expect(user?.args).not.toMatch(/^(root|0)(:|$)/);
    const env = runtime.instructions.filter((each) => each.keyword === 'ENV').map((each) => each.args).join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bPORT=8080\b/);
    expect(runtime.instructions.some((each) => each.keyword === 'EXPOSE' && each.args === '8080')).toBe(true);
    const healthcheck = runtime.instructions.find((each) => each.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/CMD \["node",/);
    expect(healthcheck?.args).toContain('/healthz');
    expect(healthcheck?.args).not.toMatch(/curl|wget/);
  });

  it('has every package that src/ and migrations/ import among the production dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(path.join(ROOT, dir))) {
        const file = path.join(dir, entry);
        if (statSync(path.join(ROOT, file)).isDirectory()) walk(file);
        else if (file.endsWith('.ts')) files.push(file);
      }
    };
    walk('src');
    walk('migrations');
    const missing: string[] = [];
    for (const file of files) {
      const source = read(file);
      // Type-only imports are erased by the compiler and need nothing at run time.
      for (const match of source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^'.][^']*)'/gm)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
        if (!pkg.dependencies[name]) missing.push(`${file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  const sumpEnv = composeEnvironment(compose, 'sump');

  it('sets only variables that sump reads', () => {
    const known = configVariables();
    expect(known).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'AUTH_SECRET', 'NODE_ENV']));
    expect(sumpEnv.size).toBeGreaterThan(0);
    expect([...sumpEnv.keys()].filter((name) => !known.includes(name))).toEqual([]);
    expect([...sumpEnv.keys()]).toEqual(expect.arrayContaining(['DATABASE_URL', 'AUTH_SECRET', 'PUBLIC_URL']));
  });

  it('gives sump a configuration it starts with, as the image runs it (NODE_ENV=production)', () => {
    const secret = 'a-compose-secret-that-is-long-enough-0123';
    const env: Record<string, string> = { NODE_ENV: 'production', PORT: '8080', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sump-compose-')) };
    for (const [name, value] of sumpEnv) env[name] = interpolate(value, { AUTH_SECRET: secret });
    const config = loadConfig(env);
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080',
      database: { kind: 'postgres', connectionString: 'postgres://sump:sump@postgres:5432/sump' },
      authSecret: secret,
      allowTenantSignup: true,
    });
    // Without AUTH_SECRET compose itself refuses to start.
    expect(() => interpolate(sumpEnv.get('AUTH_SECRET') ?? '', {})).toThrow(/AUTH_SECRET is required/);
  });

  it('runs PostgreSQL 15 with a health check and a volume, and starts sump once it is healthy', () => {
    expect(compose).toMatch(/^ {2}postgres:\n(?: {4}.*\n|\n)*? {4}image: postgres:15\s*$/m);
    expect(compose).toMatch(/^ {4}healthcheck:\n {6}test: .*pg_isready/m);
    expect(compose).toMatch(/^ {6}- postgres-data:\/var\/lib\/postgresql\/data$/m);
    expect(compose).toMatch(/^ {4}depends_on:\n {6}postgres:\n {8}condition: service_healthy$/m);
    expect(compose).toMatch(/^ {4}build: \.$/m);
    expect(compose).toMatch(/^ {6}- "8080:8080"$/m);
    const postgresEnv = composeEnvironment(compose, 'postgres');
    const url = new URL(interpolate(sumpEnv.get('DATABASE_URL') ?? '', {}));
    expect(url.username).toBe(postgresEnv.get('POSTGRES_USER'));
    expect(url.password).toBe(interpolate(postgresEnv.get('POSTGRES_PASSWORD') ?? '', {}));
    expect(url.pathname).toBe(`/${postgresEnv.get('POSTGRES_DB')}`);
    expect(url.hostname).toBe('postgres');
  });
});

describe('README', () => {
  const readme = read('README.md');

  it('documents every configuration variable', () => {
    expect(configVariables().filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('says why each runtime dependency is there', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const section = readme.split(/^## /m).find((part) => part.startsWith('Runtime dependencies')) ?? '';
    expect(Object.keys(pkg.dependencies).filter((name) => !section.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
