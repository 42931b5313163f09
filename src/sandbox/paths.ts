/**
 * Where everything of one sandbox lives. All paths derive from HOME and NAME here, so no other file
 * joins sandbox paths by hand; the name is validated first because it becomes a directory name.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors.js';

export const DEFAULT_NAME = 'default';
/**
 * What a sandbox name may be, wherever it comes from (option, MYSQLOPS_SANDBOX, config file): it
 * becomes a directory name and part of the socket path, so no '/', no leading '.' or '-', and short.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** NAME_PATTERN in words, for messages. */
export const NAME_RULE = '1-32 letters, digits, "_" or "-", starting with a letter or digit';

/** The highest TCP port number. */
export const MAX_PORT = 65_535;
/** What a port must be, in words, for messages. */
export const PORT_RULE = `an integer from 1 to ${MAX_PORT}`;

/** sun_path holds 108 bytes on Linux including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface SandboxPaths {
  name: string;
  home: string;
  dir: string;
  dataDir: string;
  binlogDir: string;
  /** log_bin base name: files are `<base>.000001`, index `<base>.index`. */
  binlogBase: string;
  /** The server's tmpdir: its own, so sandboxes never collide on temporary file names in /tmp. */
  tmpDir: string;
  /** Extra option files (`!includedir` of my.cnf): what topologies (replicas, Galera) add per node. */
  confDir: string;
  cnf: string;
  pidFile: string;
  errorLog: string;
  passwordFile: string;
  initFile: string;
  stateFile: string;
  lockFile: string;
  tlsDir: string;
  caFile: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Validate the name (UsageError when bad) and derive every path of the sandbox. */
export function resolvePaths(opts: { name?: string | undefined; home?: string | undefined }): SandboxPaths {
  const name = opts.name ?? DEFAULT_NAME;
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(`invalid sandbox name ${JSON.stringify(name)}`, `use ${NAME_RULE}`);
  }
  const home = path.resolve(opts.home ?? '.mysqlops');
  const dir = path.join(home, 'sandbox', name);
  for (const bad of ['\n', '\r', '"']) {
    // These cannot be written safely into my.cnf.
    if (dir.includes(bad))
      throw new UsageError(
        `sandbox directory ${JSON.stringify(dir)} contains ${JSON.stringify(bad)}`,
        'choose another --home',
      );
  }
  const tlsDir = path.join(dir, 'tls');
  return {
    name,
    home,
    dir,
    dataDir: path.join(dir, 'data'),
    binlogDir: path.join(dir, 'binlog'),
    binlogBase: path.join(dir, 'binlog', 'mysql-bin'),
    tmpDir: path.join(dir, 'tmp'),
    confDir: path.join(dir, 'conf.d'),
    cnf: path.join(dir, 'my.cnf'),
    pidFile: path.join(dir, 'mysqld.pid'),
    errorLog: path.join(dir, 'error.log'),
    passwordFile: path.join(dir, 'root.password'),
    initFile: path.join(dir, 'init.sql'),
    stateFile: path.join(dir, 'sandbox.json'),
    lockFile: path.join(dir, '.lock'),
    tlsDir,
    caFile: path.join(tlsDir, 'ca.pem'),
    caKey: path.join(tlsDir, 'ca-key.pem'),
    serverCert: path.join(tlsDir, 'server-cert.pem'),
    serverKey: path.join(tlsDir, 'server-key.pem'),
    clientCert: path.join(tlsDir, 'client-cert.pem'),
    clientKey: path.join(tlsDir, 'client-key.pem'),
  };
}

/**
 * The unix socket for a sandbox dir: `dir/mysqld.sock`, or, when that exceeds the 107-byte kernel
 * limit, a short name in `tmpDir` derived from a hash of dir (stable, so every process finds it;
 * distinct per sandbox). The caller records the result in sandbox.json.
 */
export function socketPathFor(dir: string, tmpDir: string = os.tmpdir()): string {
  const preferred = path.join(dir, 'mysqld.sock');
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred;
  const file = `mysqlops-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`;
  const fallback = path.join(tmpDir, file);
  // A TMPDIR deep enough to overflow too is rare; /tmp always fits.
  return Buffer.byteLength(fallback) <= MAX_SOCKET_PATH_BYTES ? fallback : path.join('/tmp', file);
}

/**
 * A TCP port given by a user, as a number or as a flag's text: the port, else UsageError. The one
 * check behind `--port` and `startSandbox({ port })`.
 */
export function parsePort(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PORT) {
    throw new UsageError(
      `invalid port ${typeof value === 'number' ? String(value) : JSON.stringify(value)}: expected ${PORT_RULE}`,
      'pass a port number, or omit it to pick a free port',
    );
  }
  return n;
}

/** Check an optional port option (see parsePort). */
export function validatePort(port: number | undefined): void {
  if (port !== undefined) parsePort(port);
}
