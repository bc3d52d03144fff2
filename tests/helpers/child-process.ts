import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tests that start sump or one of its scripts as its own process, as a user would run it. */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port that was free a moment ago (sump needs a concrete PORT to print its URLs). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ScriptRun {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  readonly exited: Promise<Exit>;
  /** Resolves with the output once it holds `text`; rejects if the process exits first or time runs out. */
  waitFor(text: string, timeoutMs: number): Promise<string>;
}

/**
 * A TypeScript entry point of the repository (`src/main.ts`, `scripts/demo.ts`) run through tsx,
 * so no build is needed, in the repository's root, with only PATH, HOME and `env` in its
 * environment (no DATABASE_URL, no DB_*, no TEST_DATABASE_URL: the embedded database).
 * `detached`: it leads its own process group, which stopProcessGroup stops as a whole.
 */
export function startScript(script: string, env: Record<string, string>, options: { detached?: boolean } = {}): ScriptRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => output,
    waitFor: (text, timeoutMs) =>
      new Promise((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          if (!output.includes(text)) return;
          cleanup();
          resolve(output);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for "${text}"; output so far:\n${output}`));
        }, timeoutMs);
        void exited.then(({ code, signal }) => {
          if (output.includes(text)) return;
          cleanup();
          reject(new Error(`${script} exited (${code ?? signal}) before printing "${text}":\n${output}`));
        });
        listeners.add(check);
        check();
      }),
  };
}

/** Stops a detached run's whole process group: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcessGroup(run: ScriptRun | undefined, timeoutMs = 10_000): Promise<Exit | undefined> {
  if (!run?.child.pid || run.child.exitCode !== null || run.child.signalCode !== null) return run ? run.exited : undefined;
  const group = -run.child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return run.exited;
  }
  const killer = setTimeout(() => {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  const exit = await run.exited;
  clearTimeout(killer);
  return exit;
}
