/**
 * The sandbox's public types: what callers pass in and what they get back. Kept apart from the code
 * so every file in the folder can share them without import cycles.
 */
import type { Secret } from '../secret.js';

/**
 * - `running`: the server process is alive and answers on its unix socket.
 * - `stopped`: cleanly stopped (or never started since it was initialised).
 * - `crashed`: a pid file or recorded pid names a process that is gone, the process is alive but does
 *   not answer, or the last start failed. `errorLogTail` says why.
 * - `absent`: never initialised under this HOME and name.
 */
export type SandboxState = 'running' | 'stopped' | 'crashed' | 'absent';

export type ServerFlavor = 'mariadb' | 'mysql';

export interface SandboxProgress {
  /** A stable step name: 'init', 'tls', 'config', 'start', 'wait', 'ready', 'stop', 'kill', 'destroy'. */
  step: string;
  /** One human-readable line; never contains a secret. */
  message: string;
}

/**
 * Which sandbox to act on, and how: every sandbox function takes these. With none given it is the
 * sandbox `default` under `./.mysqlops`, so calls from another working directory find another one.
 */
export interface SandboxOptions {
  /** Sandbox name; default 'default'. Must match NAME_PATTERN: 1-32 of [A-Za-z0-9_-], not starting with '_' or '-' (it becomes a directory name). */
  name?: string;
  /** Root directory; default `path.resolve('.mysqlops')`. The sandbox lives in `HOME/sandbox/NAME`. */
  home?: string;
  /**
   * TCP port on 127.0.0.1. Undefined: reuse the port recorded in sandbox.json, else pick a free one.
   * WARNING: changing the port of an existing sandbox re-renders its my.cnf (hand edits are lost).
   */
  port?: number;
  /** Receives each step; the library never prints. */
  onProgress?: (e: SandboxProgress) => void;
  /**
   * Extra server arguments for this start only (startSandbox), e.g. `--wsrep-new-cluster` to
   * bootstrap a Galera node. Lasting per-node settings belong in `conf.d/*.cnf` of the sandbox.
   */
  serverArgs?: readonly string[];
}

/**
 * A sandbox as the sandbox functions report it: where it lives, its state, and how to reach it.
 * `port`, `flavor`, `binary` and `version` are set once it has been initialised, `pid` while a
 * process is known, `caFile` once its TLS certificates exist. Connect with `sandboxConnection()`
 * (same options), which reads the root password from `passwordFile`.
 */
export interface SandboxInfo {
  name: string;
  dir: string;
  state: SandboxState;
  pid?: number;
  host: '127.0.0.1';
  port?: number;
  socket: string;
  flavor?: ServerFlavor;
  binary?: string;
  version?: string;
  passwordFile: string;
  caFile?: string;
  /** Last ~20 lines of the error log; set when state is 'crashed' (or a start failed). */
  errorLogTail?: string[];
}

export interface SandboxConnection {
  host: '127.0.0.1';
  port: number;
  socket: string;
  user: 'root';
  password: Secret;
  caFile?: string;
}

/** A server binary found on this machine. */
export interface ServerBinary {
  flavor: ServerFlavor;
  /** Absolute path of mariadbd or mysqld. */
  server: string;
  /** mariadb-install-db (MariaDB only; MySQL initialises with `mysqld --initialize-insecure`). */
  installDb?: string;
  /** Numeric version, e.g. '10.11.19'. */
  version: string;
}
