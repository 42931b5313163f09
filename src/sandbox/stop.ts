/**
 * Stopping, killing and destroying a sandbox. Stop is graceful (SIGTERM lets InnoDB and the binary log
 * shut down cleanly) and escalates to SIGKILL only after the deadline; kill is the crash simulation
 * the restart tests need; destroy removes every file, including a socket that lives outside the dir.
 */
import * as fs from 'node:fs';
import { MysqlopsError } from '../errors.js';
import { withLock } from './lock.js';
import type { SandboxPaths } from './paths.js';
import { waitForPortFree } from './ports.js';
import { signal, waitForExit } from './process.js';
import { readState, type SandboxStateFile, writeState } from './state.js';
import { describe, livePid } from './status.js';
import type { SandboxInfo, SandboxProgress } from './types.js';

type Progress = (e: SandboxProgress) => void;

/** How long a SIGKILLed process may take to disappear before we call it stuck. */
const KILL_WAIT_MS = 15_000;
const PORT_RELEASE_WAIT_MS = 5_000;

async function killHard(paths: SandboxPaths, pid: number, port: number | undefined): Promise<void> {
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, KILL_WAIT_MS, paths.cnf))) {
    throw new MysqlopsError({
      code: 'E_SANDBOX',
      message: `server process ${pid} of sandbox "${paths.name}" is still there ${KILL_WAIT_MS / 1000} s after SIGKILL`,
      hint: 'it is probably stuck in the kernel (I/O); check the disk, then try again',
    });
  }
  // The kernel releases a killed server's listening socket a little after the process is gone
  // (measured up to ~0.4 s with io_uring); an immediate restart would find its own port taken.
  if (port !== undefined) await waitForPortFree(port, PORT_RELEASE_WAIT_MS);
}

/** SIGTERM, wait up to timeoutMs, then SIGKILL. Reports which one ended it. */
export async function terminate(
  paths: SandboxPaths,
  pid: number,
  port: number | undefined,
  timeoutMs: number,
  progress: Progress,
): Promise<void> {
  const started = Date.now();
  progress({ step: 'stop', message: `sending SIGTERM to server pid ${pid}` });
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs, paths.cnf)) {
    progress({
      step: 'stop',
      message: `server stopped gracefully in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    });
    return;
  }
  progress({
    step: 'kill',
    message: `server pid ${pid} still running after ${timeoutMs} ms; sending SIGKILL`,
  });
  await killHard(paths, pid, port);
  progress({ step: 'kill', message: `server pid ${pid} killed; the next start runs crash recovery` });
}

/** Stop under the lock; the sandbox ends 'stopped' (or 'absent' when it never existed). */
export async function runStop(
  paths: SandboxPaths,
  timeoutMs: number,
  progress: Progress,
): Promise<SandboxInfo> {
  if (!fs.existsSync(paths.dir)) return describe(paths, undefined, { state: 'absent' });
  // Leave room to wait for a start in progress to finish before we stop what it started.
  return withLock(paths.lockFile, timeoutMs + KILL_WAIT_MS, async () => {
    const state = readState(paths);
    const pid = livePid(paths, state);
    if (pid === undefined) progress({ step: 'stop', message: `sandbox "${paths.name}" is not running` });
    else await terminate(paths, pid, state?.port, timeoutMs, progress);
    // A clean shutdown removes the pid file; after a crash or SIGKILL it is stale and would read as 'crashed'.
    fs.rmSync(paths.pidFile, { force: true });
    if (!state) return describe(paths, undefined, { state: 'absent' });
    const next: SandboxStateFile = { ...state, stoppedAt: new Date().toISOString() };
    delete next.pid;
    delete next.lastStartError;
    writeState(paths, next);
    return describe(paths, next, { state: 'stopped' });
  });
}

/** SIGKILL the server and wait until it is gone; leaves pid file and state as a crash would. */
export async function runKill(paths: SandboxPaths, progress: Progress): Promise<void> {
  const state = fs.existsSync(paths.stateFile) ? readState(paths) : undefined;
  const pid = livePid(paths, state);
  if (pid === undefined) return;
  progress({ step: 'kill', message: `sending SIGKILL to server pid ${pid}` });
  await killHard(paths, pid, state?.port);
}

function stateOrUndefined(paths: SandboxPaths): SandboxStateFile | undefined {
  try {
    return readState(paths);
  } catch {
    // Destroy must work on a sandbox whose state file is damaged.
    return undefined;
  }
}

/** Stop if running, then remove the directory and a socket kept outside it. */
export async function runDestroy(paths: SandboxPaths, timeoutMs: number, progress: Progress): Promise<void> {
  if (!fs.existsSync(paths.dir)) return;
  await withLock(paths.lockFile, timeoutMs + KILL_WAIT_MS, async () => {
    const state = stateOrUndefined(paths);
    const pid = livePid(paths, state);
    if (pid !== undefined) await terminate(paths, pid, state?.port, timeoutMs, progress);
    if (state && !state.socket.startsWith(`${paths.dir}/`)) {
      fs.rmSync(state.socket, { force: true });
      fs.rmSync(`${state.socket}.lock`, { force: true });
    }
    fs.rmSync(paths.dir, { recursive: true, force: true });
    progress({ step: 'destroy', message: `removed ${paths.dir}` });
  });
}
