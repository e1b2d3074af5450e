// The built command line as a child process that a test can watch (its stderr so far), signal,
// and wait for: submitters, workers and shards run side by side as they would on many machines.
import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath } from './fixtures';

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once stderr matches `pattern` (rejects if the process exits first or after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of watchers) w();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve(code);
      for (const w of watchers) w();
    });
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, ms = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${pattern} in:\n${err}`)), ms);
        const check = () => {
          if (pattern.test(err)) finish();
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`exited before ${pattern} appeared:\n${err}`));
        };
        function finish(error?: Error) {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve();
        }
        watchers.add(check);
        check();
      });
    },
  };
}

/** Runs the command line to its end. */
export async function runCliToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
