/**
 * How to reach a sandbox's server: synchronous, from sandbox.json and root.password only, so config
 * loading (which is synchronous) can default to the sandbox without starting anything.
 */
import * as fs from 'node:fs';
import type { SandboxPaths } from './paths.js';
import { readPassword } from './root-password.js';
import { readState } from './state.js';
import type { SandboxConnection } from './types.js';

export function connectionFor(paths: SandboxPaths): SandboxConnection | undefined {
  const state = readState(paths);
  if (!state) return undefined;
  const password = readPassword(paths.passwordFile);
  if (!password) return undefined;
  const conn: SandboxConnection = {
    host: '127.0.0.1',
    port: state.port,
    socket: state.socket,
    user: 'root',
    password,
  };
  if (fs.existsSync(paths.caFile)) conn.caFile = paths.caFile;
  return conn;
}
