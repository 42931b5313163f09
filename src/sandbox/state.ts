/**
 * sandbox.json: what a sandbox is (port, socket, binary) and what last happened to it (pid, a failed
 * start). Synchronous on purpose: it is a few hundred bytes and sandboxConnection() must be sync.
 */
import * as fs from 'node:fs';
import { MysqlopsError } from '../errors.js';
import { sandboxFileError, writeFileAtomic } from './fs-util.js';
import type { SandboxPaths } from './paths.js';
import type { ServerFlavor } from './types.js';

export interface SandboxStateFile {
  name: string;
  port: number;
  socket: string;
  flavor: ServerFlavor;
  binary: string;
  version: string;
  createdAt: string;
  /** Pid spawned by the last start; cleared by a clean stop. A dead recorded pid means a crash. */
  pid?: number;
  startedAt?: string;
  stoppedAt?: string;
  /** Why the last start failed; cleared by a successful start or an explicit stop. */
  lastStartError?: string;
}

/** Read sandbox.json; undefined when the sandbox was never initialised. */
export function readState(paths: SandboxPaths): SandboxStateFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(paths.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw sandboxFileError(err, 'read', paths.stateFile);
  }
  try {
    const parsed = JSON.parse(text) as Partial<SandboxStateFile>;
    if (
      typeof parsed.port !== 'number' ||
      typeof parsed.socket !== 'string' ||
      typeof parsed.binary !== 'string'
    ) {
      throw new Error('missing port, socket or binary');
    }
    return parsed as SandboxStateFile;
  } catch (err) {
    throw new MysqlopsError({
      code: 'E_SANDBOX',
      message: `${paths.stateFile} is not a valid sandbox state file`,
      hint: `repair or delete it (mysqlops sandbox destroy --name ${paths.name} removes the whole sandbox)`,
      cause: err,
    });
  }
}

export function writeState(paths: SandboxPaths, state: SandboxStateFile): void {
  writeFileAtomic(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
