import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the interop suites share: starting and stopping a foreign program as its own process group. */

export interface Daemon {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  readonly exited: Promise<void>;
}

/** Fails with what to install when a program the suite drives is missing (the suites never skip). */
export function requireFile(file: string, install: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: ${install} (.ci/run installs it)`);
}

/** Starts `command` detached, leading its own process group, so that stopDaemon ends it whole. */
export function startDaemon(command: string, args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (output += `spawn failed: ${error.message}`));
  return { child, output: () => output, exited };
}

/** SIGTERM to the daemon's whole process group, SIGKILL if anything of it lingers; waits for its exit. */
export async function stopDaemon(daemon: Daemon | undefined, timeoutMs = 10_000): Promise<void> {
  const pid = daemon?.child.pid;
  if (!daemon || !pid) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!signal('SIGTERM')) return;
  const killer = setTimeout(() => signal('SIGKILL'), timeoutMs);
  await daemon.exited;
  clearTimeout(killer);
  // the leader has exited; children of the group that outlived it are ended too
  signal('SIGKILL');
}

/**
 * Asks `url` until it answers at all (any status), or fails after `attempts` tries 100 ms apart
 * with what the daemon printed and what `diagnostics` adds (its error log).
 */
export async function waitUntilServing(url: string, daemon: Daemon, diagnostics: () => string = () => '', attempts = 100): Promise<void> {
  const report = () => `${daemon.output()}\n${diagnostics()}`;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`${daemon.child.spawnfile} exited before serving ${url}:\n${report()}`);
    }
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`nothing answered at ${url}:\n${report()}`);
}
