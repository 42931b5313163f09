/**
 * Where alert states live between evaluations. `serve` can keep them in memory; the one-shot
 * `alerts check` (cron) keeps them in a JSON file, so `for` durations and "already notified" survive
 * from one run to the next.
 *
 * A file rather than a table in the watched database: the alert that matters most is "the server is
 * down", and its state must be readable and writable exactly when the server is not. It also keeps
 * `alerts check` read-only towards the server (a monitoring login needs no write grant and the
 * application schema no migration). The price: states are per host, so run `alerts check` from one
 * place (or point every runner at one shared file).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MysqlopsError } from '../errors.js';
import type { AlertState, AlertStates } from './types.js';

/** Load and save the alert states. */
export interface AlertStore {
  load(): Promise<AlertStates>;
  save(states: AlertStates): Promise<void>;
  /**
   * Run one evaluation (load, deliver, save) exclusively, when the store is shared between
   * processes; the engine calls it for every evaluation that is not a dry run.
   */
  withLock?<T>(fn: () => Promise<T>): Promise<T>;
}

/** States in memory: for `serve`, and for tests. */
export class MemoryAlertStore implements AlertStore {
  #states: AlertStates = {};

  async load(): Promise<AlertStates> {
    return this.#states;
  }

  async save(states: AlertStates): Promise<void> {
    this.#states = structuredClone(states);
  }
}

const FORMAT_VERSION = 1;

interface StateFile {
  version: number;
  savedAt: string;
  alerts: Record<string, AlertState>;
}

/** States in a JSON file, written atomically (temp name, then rename), mode 0600. */
export class FileAlertStore implements AlertStore {
  readonly file: string;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  /** The saved states; none when the file does not exist yet. */
  async load(): Promise<AlertStates> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw stateError(`cannot read the alert state file ${this.file}`, err);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw stateError(`the alert state file ${this.file} is not valid JSON`, err);
    }
    const doc = parsed as Partial<StateFile> | null;
    if (!doc || doc.version !== FORMAT_VERSION || typeof doc.alerts !== 'object' || doc.alerts === null)
      throw stateError(
        `the alert state file ${this.file} is not a version ${FORMAT_VERSION} mysqlops alert state`,
      );
    for (const [key, s] of Object.entries(doc.alerts)) {
      if (!isState(s) || s.key !== key)
        throw stateError(`the alert state file ${this.file} holds a malformed entry ${JSON.stringify(key)}`);
    }
    return doc.alerts;
  }

  async save(states: AlertStates): Promise<void> {
    const doc: StateFile = {
      version: FORMAT_VERSION,
      savedAt: new Date().toISOString(),
      alerts: { ...states },
    };
    const dir = path.dirname(this.file);
    const tmp = path.join(dir, `.${path.basename(this.file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw stateError(`cannot write the alert state file ${this.file}`, err);
    }
  }

  /**
   * Run `fn` holding `<file>.lock`, so two overlapping runs (cron, `serve` on the same file)
   * cannot both send the same notification. A lock whose owner process died is taken over; a live one refuses at once
   * (E_ALERT_LOCKED) rather than queueing runs behind a stuck one.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`;
    await fs.mkdir(path.dirname(lock), { recursive: true, mode: 0o700 });
    if (!(await tryLock(lock)) && !(await takeOverDead(lock))) {
      throw new MysqlopsError({
        code: 'E_ALERT_LOCKED',
        message: `another alerts run holds ${lock}`,
        hint: 'runs overlap: let the other finish (or space the cron runs further apart); if none runs, delete that file',
      });
    }
    try {
      return await fn();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }
}

async function tryLock(lock: string): Promise<boolean> {
  try {
    await fs.writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw stateError(`cannot create the lock file ${lock}`, err);
  }
}

/** Remove a lock whose owner is gone and take it; false when the owner lives. */
async function takeOverDead(lock: string): Promise<boolean> {
  const owner = Number.parseInt((await fs.readFile(lock, 'utf8').catch(() => '')).trim(), 10);
  if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
  await fs.rm(lock, { force: true });
  return tryLock(lock);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isState(s: unknown): s is AlertState {
  if (typeof s !== 'object' || s === null) return false;
  const v = s as Record<string, unknown>;
  return (
    typeof v.key === 'string' &&
    typeof v.rule === 'string' &&
    ['inactive', 'pending', 'firing', 'resolved'].includes(v.state as string) &&
    typeof v.lastEvaluatedAt === 'string'
  );
}

function stateError(message: string, cause?: unknown): MysqlopsError {
  return new MysqlopsError({
    code: 'E_ALERT_STATE',
    message: cause instanceof Error ? `${message}: ${cause.message}` : message,
    hint: 'fix its permissions, or delete it to start afresh (pending alerts restart their `for` wait)',
    cause,
  });
}
