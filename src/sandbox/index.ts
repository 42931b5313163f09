/**
 * The sandbox: a private MariaDB/MySQL server that mysqlops initialises and runs under
 * `HOME/sandbox/NAME/` when no server is configured. This file is the folder's public face; other
 * folders import only from here.
 *
 * Layout of a sandbox directory:
 *   sandbox.json   state (port, socket, binary, last start)      my.cnf      the only option file read
 *   root.password  root password, 0600                            error.log   server log + our notes
 *   data/          datadir     binlog/   binary logs              tls/        CA, server and client certs
 */

import { connectionFor } from './connection.js';
import { resolvePaths, type SandboxPaths, validatePort } from './paths.js';
import { DEFAULT_TIMEOUT_MS, runStart } from './start.js';
import { readState } from './state.js';
import { describe, observe } from './status.js';
import { runDestroy, runKill, runStop } from './stop.js';
import type { SandboxConnection, SandboxInfo, SandboxOptions, SandboxProgress } from './types.js';

export { findServerBinary } from './binary.js';
/** Our environment without anything that looks secret, for child processes of the server tools. */
export { childEnv } from './child-env.js';
/** Replace a file atomically with an exact mode (temp file, fsync, rename); E_SANDBOX on failure. */
export { writeFileAtomic } from './fs-util.js';
export { MAX_PORT, NAME_PATTERN, NAME_RULE, PORT_RULE, parsePort } from './paths.js';
export { SandboxStartError } from './start-error.js';
export type {
  SandboxConnection,
  SandboxInfo,
  SandboxOptions,
  SandboxProgress,
  SandboxState,
  ServerBinary,
  ServerFlavor,
} from './types.js';

const noProgress = (_e: SandboxProgress): void => {};

/**
 * Where a sandbox's files are (dir, conf.d, data, my.cnf, password file...), without touching the
 * disk: for topologies that add per-node files. Throws UsageError for an invalid name.
 */
export function sandboxPaths(opts: { home?: string; name?: string }): SandboxPaths {
  return resolvePaths(opts);
}

function timeoutOf(opts: { timeoutMs?: number }): number {
  const t = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(t) || t <= 0)
    throw new RangeError(`timeoutMs must be a positive number, got ${String(t)}`);
  return t;
}

/**
 * Start the sandbox, initialising it on first use (data directory, root password, TLS certificates,
 * my.cnf), and wait until root can log in over the unix socket.
 *
 * Idempotent: when it already runs, returns its info and changes nothing (UsageError when `port`
 * asks for a different port than it runs on). `timeoutMs` (default 60 000) bounds the wait for the
 * server to accept connections. Throws `SandboxStartError` (code E_SANDBOX_START, with the error
 * log's last lines) when the server exits or does not answer, or when the port is taken;
 * `E_SERVER_MISSING` when no server is installed.
 *
 * @example
 * <!-- not-run: starts a server under ./.mysqlops; the tests start their sandbox in test/global-setup.ts -->
 * ```ts
 * const info = await startSandbox({ onProgress: (e) => log(e.message) });
 * const conn = sandboxConnection(); // host, port, socket, user, password (Secret), caFile
 * ```
 */
export async function startSandbox(opts: SandboxOptions & { timeoutMs?: number } = {}): Promise<SandboxInfo> {
  const paths = resolvePaths(opts);
  validatePort(opts.port);
  return runStart({
    paths,
    port: opts.port,
    timeoutMs: timeoutOf(opts),
    progress: opts.onProgress ?? noProgress,
    ...(opts.serverArgs ? { serverArgs: opts.serverArgs } : {}),
  });
}

/**
 * Stop the server gracefully: SIGTERM, wait up to `timeoutMs` (default 60 000) for it to exit, then
 * SIGKILL (reported through onProgress as step 'kill'). Stopping a stopped, crashed or absent
 * sandbox is fine; afterwards the state is 'stopped' (or 'absent').
 */
export async function stopSandbox(opts: SandboxOptions & { timeoutMs?: number } = {}): Promise<SandboxInfo> {
  const paths = resolvePaths(opts);
  return runStop(paths, timeoutOf(opts), opts.onProgress ?? noProgress);
}

/**
 * What the sandbox is doing: 'running' (alive and answering on its socket), 'stopped', 'crashed'
 * (with `errorLogTail`) or 'absent'. Never starts or changes anything.
 */
export async function sandboxStatus(opts: SandboxOptions = {}): Promise<SandboxInfo> {
  const paths = resolvePaths(opts);
  const state = readState(paths);
  return describe(paths, state, await observe(paths, state));
}

/**
 * Stop the sandbox if it runs, then delete its directory (data, binary logs, password, certificates).
 * WARNING: irreversible; take a backup first if the data matters.
 */
export async function destroySandbox(opts: SandboxOptions = {}): Promise<void> {
  const paths = resolvePaths(opts);
  await runDestroy(paths, DEFAULT_TIMEOUT_MS, opts.onProgress ?? noProgress);
}

/**
 * SIGKILL the server and wait until it is gone, with no cleanup: the pid file stays, so status then
 * says 'crashed'. For crash-recovery tests; use stopSandbox otherwise. No-op when it is not running.
 */
export async function killSandbox(opts: SandboxOptions = {}): Promise<void> {
  const paths = resolvePaths(opts);
  await runKill(paths, opts.onProgress ?? noProgress);
}

/**
 * How to connect to the sandbox as root, read synchronously from sandbox.json and root.password;
 * undefined when it was never initialised. Does not check that the server runs.
 */
export function sandboxConnection(opts: SandboxOptions = {}): SandboxConnection | undefined {
  return connectionFor(resolvePaths(opts));
}
