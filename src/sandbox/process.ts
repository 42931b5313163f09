/**
 * The server process: spawn it detached (it outlives the CLI that started it), find its pid, tell
 * whether it is alive, signal it and wait for it to go. Liveness checks guard against pid reuse: on
 * Linux a pid only counts when its command line names this sandbox's my.cnf.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { childEnv } from './child-env.js';
import { sleep } from './fs-util.js';

/** The pid in a pid file, or undefined when missing or unreadable. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The argument that identifies a sandbox's server on its command line. */
export function defaultsFileArg(cnf: string): string {
  return `--defaults-file=${cnf}`;
}

/**
 * True when `pid` is a live (not zombie) process. With `cnf`, on Linux, it must also be this
 * sandbox's server, so a recycled pid from a stale pid file does not look like a running server.
 */
export function isAlive(pid: number, cnf?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // With procfs the process vanished meanwhile; without it (macOS) signal 0 is all we can know.
    return !fs.existsSync('/proc/self');
  }
  // Field 3, after the parenthesised command name (which may itself contain spaces or ')').
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return false;
  if (cnf === undefined) return true;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes(defaultsFileArg(cnf));
  } catch {
    return false;
  }
}

/** Send a signal; false when the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Poll until the process is gone; true when it went before the deadline. */
export async function waitForExit(pid: number, timeoutMs: number, cnf?: string): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid, cnf)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

export interface SpawnedServer {
  pid: number;
  /** Set once the process has exited (only observable from the process that spawned it). */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child: ChildProcess;
}

/**
 * Start the server detached, in its own session, with stdout/stderr appended to the error log: the
 * server writes there itself once running, but option errors are printed before it opens the log.
 */
export function spawnServer(binary: string, args: string[], errorLog: string): Promise<SpawnedServer> {
  const fd = fs.openSync(errorLog, 'a', 0o600);
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env: childEnv() });
    } catch (err) {
      fs.closeSync(fd);
      reject(err);
      return;
    }
    const onError = (err: Error) => {
      fs.closeSync(fd);
      reject(err);
    };
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      // The child holds its own copy of the descriptor.
      fs.closeSync(fd);
      const spawned: SpawnedServer = { pid: child.pid ?? 0, exit: undefined, child };
      child.once('exit', (code, sig) => {
        spawned.exit = { code, signal: sig };
      });
      // A later 'error' (e.g. a failed kill) must not crash the caller's process.
      child.on('error', () => {});
      child.unref();
      resolve(spawned);
    });
  });
}
