/**
 * One lifecycle operation at a time per sandbox, across processes: two `mysqlops up` (or two test
 * workers) starting the same sandbox must not both spawn a server. An exclusive-create lock file
 * holding the owner's pid; a lock whose owner died is taken over.
 */
import * as fs from 'node:fs';
import { MysqlopsError } from '../errors.js';
import { sandboxFileError, sleep } from './fs-util.js';
import { isAlive } from './process.js';

function tryAcquire(file: string): boolean {
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw sandboxFileError(err, 'create the lock file', file);
  }
  let text: string;
  let ageMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    ageMs = Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return false; // Released meanwhile: try again.
  }
  const owner = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(owner) && owner > 0) {
    if (isAlive(owner)) return false;
  } else if (ageMs < 5000) {
    return false; // Probably being written right now.
  }
  // The owner died holding it: remove it and race for it again.
  fs.rmSync(file, { force: true });
  return false;
}

/**
 * Run `fn` holding the lock. Not re-entrant: a second call for the same sandbox, even from this
 * process, waits until the first one is done.
 */
export async function withLock<T>(file: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(file)) {
    if (Date.now() >= deadline) {
      throw new MysqlopsError({
        code: 'E_SANDBOX',
        message: `another mysqlops process holds ${file}`,
        hint: 'wait for it to finish; if no mysqlops process runs, delete that file',
      });
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
