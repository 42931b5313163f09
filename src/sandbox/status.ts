/**
 * What state a sandbox is in, derived from sandbox.json, the pid file and the process table, and the
 * SandboxInfo that every public function returns.
 */
import * as fs from 'node:fs';
import { readLastLines } from './fs-util.js';
import type { SandboxPaths } from './paths.js';
import { socketPathFor } from './paths.js';
import { pingSocket, tryLogin } from './probe.js';
import { isAlive, readPidFile } from './process.js';
import { readPassword } from './root-password.js';
import type { SandboxStateFile } from './state.js';
import type { SandboxInfo, SandboxState } from './types.js';

export const ERROR_LOG_TAIL_LINES = 20;

/** Pids this sandbox's server may run under: the pid file's, then the one recorded at spawn. */
function candidatePids(paths: SandboxPaths, state: SandboxStateFile | undefined): number[] {
  const pids = [readPidFile(paths.pidFile), state?.pid].filter((p): p is number => p !== undefined);
  return [...new Set(pids)];
}

/** The pid of this sandbox's live server process, if there is one. */
export function livePid(paths: SandboxPaths, state: SandboxStateFile | undefined): number | undefined {
  return candidatePids(paths, state).find((pid) => isAlive(pid, paths.cnf));
}

/**
 * Whether the server answers on its socket. Logs in when the password is known: a bare connect that
 * hangs up before authenticating makes the server write an "Aborted connection" warning every time.
 */
async function answers(paths: SandboxPaths, state: SandboxStateFile): Promise<boolean> {
  const password = readPassword(paths.passwordFile);
  if (!password) return pingSocket(state.socket);
  const r = await tryLogin(state.socket, password);
  // Any error the server sends (access denied, too many connections) still proves it answers.
  return r.ok || r.answered;
}

export interface Observation {
  state: SandboxState;
  pid?: number;
  errorLogTail?: string[];
}

/**
 * running: a live server process that answers on its socket. crashed: a live one that does not
 * answer, a pid file left by a process that is gone, or a failed last start. stopped: none of those.
 * absent: no sandbox.json.
 */
export async function observe(
  paths: SandboxPaths,
  state: SandboxStateFile | undefined,
): Promise<Observation> {
  if (!state) return { state: 'absent' };
  const pid = livePid(paths, state);
  if (pid !== undefined) {
    if (await answers(paths, state)) return { state: 'running', pid };
    return { state: 'crashed', pid, errorLogTail: readLastLines(paths.errorLog, ERROR_LOG_TAIL_LINES) };
  }
  // A clean shutdown (ours, or SHUTDOWN in SQL) removes the pid file; a crash or kill -9 leaves it.
  const stalePidFile = readPidFile(paths.pidFile) !== undefined;
  if (stalePidFile || state.lastStartError !== undefined) {
    return { state: 'crashed', errorLogTail: readLastLines(paths.errorLog, ERROR_LOG_TAIL_LINES) };
  }
  return { state: 'stopped' };
}

/** Assemble the public SandboxInfo. */
export function describe(
  paths: SandboxPaths,
  state: SandboxStateFile | undefined,
  seen: Observation,
): SandboxInfo {
  const info: SandboxInfo = {
    name: paths.name,
    dir: paths.dir,
    state: seen.state,
    host: '127.0.0.1',
    socket: state?.socket ?? socketPathFor(paths.dir),
    passwordFile: paths.passwordFile,
  };
  if (seen.pid !== undefined) info.pid = seen.pid;
  if (state) {
    info.port = state.port;
    info.flavor = state.flavor;
    info.binary = state.binary;
    info.version = state.version;
  }
  if (fs.existsSync(paths.caFile)) info.caFile = paths.caFile;
  if (seen.errorLogTail) info.errorLogTail = seen.errorLogTail;
  return info;
}
