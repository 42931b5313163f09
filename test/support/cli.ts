/**
 * The CLI as a user meets it: a real process from source, real exit codes and output streams,
 * with no DB_* / MYSQLOPS_* settings leaking in from the developer's shell.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The run's sandbox as the CLI finds it: MYSQLOPS_HOME and MYSQLOPS_SANDBOX. */
export function sandboxEnv(): Record<string, string> {
  const { home, name } = inject('sandbox');
  return { MYSQLOPS_HOME: home, MYSQLOPS_SANDBOX: name };
}

/** Run `mysqlops ARGS` with a clean environment plus `env`; killed after `timeoutMs` (`code` null). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 50_000,
): Promise<CliRun> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Start `mysqlops ARGS` (from source) with a clean environment plus `env`; the caller waits for it. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DB_|MYSQLOPS_|NODE_ENV$)/.test(k)),
  ) as Record<string, string>;
  return spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/bin.ts'), ...args], {
    cwd: repoRoot,
    env: { ...base, ...env },
  });
}

/** Run the CLI against the run's sandbox. */
export function runCliOnSandbox(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { ...sandboxEnv(), ...env });
}
