/**
 * Starting a sandbox: initialise on first use (data directory, root password, certificates,
 * my.cnf), spawn the server detached, and wait until root can log in. Idempotent: a running sandbox is
 * left alone. Every failure is recorded in sandbox.json so status reports 'crashed' with the log tail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError, UsageError } from '../errors.js';
import type { Secret } from '../secret.js';
import { findServerBinary, serverAt } from './binary.js';
import { appendLine, sandboxFileError, writeFileAtomic } from './fs-util.js';
import { initDataDir, userArgs } from './init.js';
import { withLock } from './lock.js';
import { cnfPort, renderMyCnf } from './my-cnf.js';
import { type SandboxPaths, socketPathFor } from './paths.js';
import { pickFreePort, recordedPorts, waitForPortFree } from './ports.js';
import { waitUntilReady } from './probe.js';
import { defaultsFileArg, isAlive, type SpawnedServer, spawnServer } from './process.js';
import { ensurePassword } from './root-password.js';
import { SandboxStartError } from './start-error.js';
import { readState, type SandboxStateFile, writeState } from './state.js';
import { describe, livePid } from './status.js';
import { ensureTls, hasTls } from './tls.js';
import type { SandboxInfo, SandboxProgress, ServerBinary } from './types.js';

export const DEFAULT_TIMEOUT_MS = 60_000;
const PORT_GRACE_MS = 2_000;

type Progress = (e: SandboxProgress) => void;

export interface StartRequest {
  paths: SandboxPaths;
  port: number | undefined;
  timeoutMs: number;
  progress: Progress;
  /** Extra server arguments for this start only (e.g. --wsrep-new-cluster to bootstrap Galera). */
  serverArgs?: readonly string[];
}

function stamp(paths: SandboxPaths, line: string): void {
  appendLine(paths.errorLog, `${new Date().toISOString()} [mysqlops] ${line}`);
}

/** Start (or find running) the sandbox. The caller holds the sandbox lock. */
export async function startLocked(req: StartRequest): Promise<SandboxInfo> {
  const { paths, progress } = req;
  const previous = readState(paths);
  if (previous) {
    const pid = livePid(paths, previous);
    if (pid !== undefined) return attach(req, previous, pid);
  }
  const binary = (previous && serverAt(previous.binary)) || findServerBinary();
  const port = req.port ?? previous?.port ?? (await pickFreePort(recordedPorts(path.dirname(paths.dir))));
  const state: SandboxStateFile = {
    ...previous,
    name: paths.name,
    port,
    socket: previous?.socket ?? socketPathFor(paths.dir),
    flavor: binary.flavor,
    binary: binary.server,
    version: binary.version,
    createdAt: previous?.createdAt ?? new Date().toISOString(),
  };
  delete state.pid;
  writeState(paths, state);
  try {
    await checkPort(paths, port);
    const password = ensurePassword(paths);
    await prepare(req, state, binary, password);
    const spawned = await spawn(req, state, binary);
    state.pid = spawned.pid;
    writeState(paths, state);
    progress({ step: 'wait', message: `waiting for the server to accept connections on ${state.socket}` });
    await untilReady(req, state, password, () => exitDescription(spawned, paths));
    return finish(req, state, spawned.pid);
  } catch (err) {
    throw recordFailure(paths, state, err);
  }
}

/** Wait until root can log in; SandboxStartError saying why not (exited, refused, too slow). */
async function untilReady(
  req: StartRequest,
  state: SandboxStateFile,
  password: Secret,
  exited: () => string | undefined,
): Promise<void> {
  const ready = await waitUntilReady({ socket: state.socket, password, timeoutMs: req.timeoutMs, exited });
  if (!ready.ok) throw notReady(req.paths, ready.reason, ready.detail, req.timeoutMs);
}

/**
 * Note a failed start in sandbox.json (so status says 'crashed' and why) and return the error to
 * throw: ours as it is, anything else as a SandboxStartError.
 */
function recordFailure(paths: SandboxPaths, state: SandboxStateFile, err: unknown): MysqlopsError {
  const failure =
    err instanceof MysqlopsError
      ? err
      : new SandboxStartError(paths, err instanceof Error ? err.message : String(err), undefined, err);
  try {
    writeState(paths, { ...state, lastStartError: failure.message.split('\n')[0] ?? failure.code });
  } catch {
    // The directory is unwritable: the original failure says more than this one would.
  }
  return failure;
}

/** Everything that must exist before the server can start; each step is skipped when already done. */
async function prepare(
  req: StartRequest,
  state: SandboxStateFile,
  binary: ServerBinary,
  password: Secret,
): Promise<void> {
  const { paths, progress } = req;
  if (!fs.existsSync(paths.dataDir)) {
    progress({
      step: 'init',
      message: `initialising ${paths.dataDir} with ${binary.flavor} ${binary.version}`,
    });
    await initDataDir(paths, binary, password);
  }
  if (!hasTls(paths)) {
    progress({ step: 'tls', message: `making a CA and server/client certificates in ${paths.tlsDir}` });
    await ensureTls(paths);
  }
  fs.mkdirSync(paths.binlogDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.tmpDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.confDir, { recursive: true, mode: 0o700 });
  const current = fs.existsSync(paths.cnf) ? fs.readFileSync(paths.cnf, 'utf8') : undefined;
  if (current === undefined || cnfPort(current) !== state.port) {
    progress({ step: 'config', message: `writing ${paths.cnf} (port ${state.port})` });
    const cnf = renderMyCnf({
      flavor: binary.flavor,
      dataDir: paths.dataDir,
      port: state.port,
      socket: state.socket,
      pidFile: paths.pidFile,
      errorLog: paths.errorLog,
      binlogBase: paths.binlogBase,
      tmpDir: paths.tmpDir,
      confDir: paths.confDir,
      ssl: { ca: paths.caFile, cert: paths.serverCert, key: paths.serverKey },
    });
    writeFileAtomic(paths.cnf, cnf, 0o644);
  }
}

/** Fail before a slow init, with a clear message, rather than let the server die on bind(). */
async function checkPort(paths: SandboxPaths, port: number): Promise<void> {
  // A short grace period: a server of ours killed a moment ago may still hold it in the kernel.
  const seen = await waitForPortFree(port, PORT_GRACE_MS);
  if (seen === 'free') return;
  if (seen === 'forbidden') {
    throw new SandboxStartError(
      paths,
      `binding port ${port} on 127.0.0.1 needs root (ports below 1024 are privileged); this user may not`,
      `use a port from 1024 up: mysqlops sandbox start --name ${paths.name} --port <port> (or omit --port to pick a free one)`,
    );
  }
  stamp(paths, `port ${port} on 127.0.0.1 is in use by another program; server not started`);
  throw new SandboxStartError(
    paths,
    `port ${port} on 127.0.0.1 is already in use by another program`,
    `free the port, or start on another one: mysqlops sandbox start --name ${paths.name} --port <free port>`,
  );
}

async function spawn(
  req: StartRequest,
  state: SandboxStateFile,
  binary: ServerBinary,
): Promise<SpawnedServer> {
  const { paths, progress } = req;
  // Any pid file left now is stale (we checked that no server of ours runs).
  fs.rmSync(paths.pidFile, { force: true });
  const args = [defaultsFileArg(paths.cnf), ...userArgs(), ...(req.serverArgs ?? [])];
  // Present until a start reached 'ready', so a start that failed earlier sets the password next time.
  if (fs.existsSync(paths.initFile)) args.push(`--init-file=${paths.initFile}`);
  progress({ step: 'start', message: `starting ${binary.server} on 127.0.0.1:${state.port}` });
  stamp(paths, `starting ${binary.server} ${args.join(' ')}`);
  try {
    return await spawnServer(binary.server, args, paths.errorLog);
  } catch (err) {
    throw new SandboxStartError(
      paths,
      `cannot run ${binary.server}: ${(err as Error).message}`,
      undefined,
      err,
    );
  }
}

function exitDescription(spawned: SpawnedServer, paths: SandboxPaths): string | undefined {
  if (spawned.exit) {
    const { code, signal } = spawned.exit;
    return signal ? `the server was killed by ${signal}` : `the server exited with code ${String(code)}`;
  }
  return isAlive(spawned.pid, paths.cnf) ? undefined : 'the server process exited';
}

function notReady(
  paths: SandboxPaths,
  reason: 'exited' | 'timeout' | 'denied',
  detail: string,
  timeoutMs: number,
): SandboxStartError {
  if (reason === 'exited') return new SandboxStartError(paths, detail);
  if (reason === 'denied') {
    return new SandboxStartError(
      paths,
      `the server runs but refuses the root password stored in ${paths.passwordFile}`,
      `restore the original ${path.basename(paths.passwordFile)}, or recreate the sandbox: mysqlops sandbox destroy --name ${paths.name}`,
    );
  }
  return new SandboxStartError(
    paths,
    `the server did not accept connections within ${Math.round(timeoutMs / 1000)} s (last: ${detail})`,
    `it may still be recovering: check mysqlops sandbox status --name ${paths.name}, or stop it with mysqlops sandbox stop`,
  );
}

/** The server is up: drop the init file (it holds the password), record success. */
function finish(req: StartRequest, state: SandboxStateFile, pid: number): SandboxInfo {
  const { paths, progress } = req;
  fs.rmSync(paths.initFile, { force: true });
  const next: SandboxStateFile = { ...state, pid, startedAt: new Date().toISOString() };
  delete next.lastStartError;
  delete next.stoppedAt;
  writeState(paths, next);
  stamp(paths, `ready (pid ${pid})`);
  progress({
    step: 'ready',
    message: `running: pid ${pid}, 127.0.0.1:${state.port}, socket ${state.socket}`,
  });
  return describe(paths, next, { state: 'running', pid });
}

/** A server of ours already runs: leave it alone, but make sure it answers before returning. */
async function attach(req: StartRequest, state: SandboxStateFile, pid: number): Promise<SandboxInfo> {
  const { paths, progress } = req;
  if (req.port !== undefined && req.port !== state.port) {
    throw new UsageError(
      `sandbox "${paths.name}" is already running on port ${state.port}, not ${req.port}`,
      `stop it first to change the port: mysqlops sandbox stop --name ${paths.name}`,
    );
  }
  const password = ensurePassword(paths);
  try {
    await untilReady(req, state, password, () =>
      isAlive(pid, paths.cnf) ? undefined : 'the server process exited',
    );
  } catch (err) {
    throw recordFailure(paths, state, err);
  }
  if (state.pid !== pid || fs.existsSync(paths.initFile) || state.lastStartError !== undefined) {
    return finish(req, state, pid);
  }
  progress({ step: 'ready', message: `already running: pid ${pid}, 127.0.0.1:${state.port}` });
  return describe(paths, state, { state: 'running', pid });
}

/** Validate and run a start under the sandbox lock. */
export async function runStart(req: StartRequest): Promise<SandboxInfo> {
  refuseKernelFileSystem(req.paths.dir);
  try {
    fs.mkdirSync(req.paths.dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw sandboxFileError(err, 'create the sandbox directory', req.paths.dir);
  }
  return withLock(req.paths.lockFile, req.timeoutMs, () => startLocked(req));
}

/** Virtual file systems of the kernel: nothing can be stored there, and mkdir under /proc never returns. */
const KERNEL_FILE_SYSTEMS = ['/proc', '/sys'];

/** Refuse a sandbox directory on /proc or /sys (also through a symlink) before touching it. */
function refuseKernelFileSystem(dir: string): void {
  let existing = dir;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  let real = existing;
  try {
    real = fs.realpathSync(existing);
  } catch {
    // Unreadable: judge by the name alone.
  }
  for (const where of [dir, real]) {
    const kernel = KERNEL_FILE_SYSTEMS.find((k) => where === k || where.startsWith(`${k}/`));
    if (kernel === undefined) continue;
    throw new MysqlopsError({
      code: 'E_SANDBOX',
      message: `cannot create the sandbox directory ${dir}: ${kernel} is a virtual file system of the kernel`,
      hint: 'set MYSQLOPS_HOME to a directory on disk that this user can write',
      exitCode: 2,
    });
  }
}
