/**
 * Small file helpers shared by the sandbox: atomic writes (temp name + rename, so a reader never sees
 * half a file and a crash never leaves one), reading the tail of a log without loading all of it, and
 * the one mapping of file system failures to E_SANDBOX errors that name the path and the fix.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError } from '../errors.js';

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** Failures the user fixes by choosing another place or fixing ownership: configuration (exit 2). */
const SETUP_CODES = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EROFS']);

/**
 * A file system failure of the sandbox as E_SANDBOX: `cannot <action> <file>: <reason>`, with a hint
 * that names the fix for the usual causes. Our own errors pass through unchanged.
 */
export function sandboxFileError(err: unknown, action: string, file: string): MysqlopsError {
  if (err instanceof MysqlopsError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  const reason = FS_REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  const dir = path.dirname(file);
  let hint: string;
  if (code === 'EACCES' || code === 'EPERM') {
    const who = process.getuid?.() === undefined ? 'this user' : `uid ${process.getuid?.()}`;
    hint = `run mysqlops as the user that owns ${dir}, or give ${who} access to it (or set MYSQLOPS_HOME to a directory this user owns)`;
  } else if (code === 'ENOSPC' || code === 'EDQUOT') {
    hint = `free some space on the file system holding ${dir}`;
  } else if (code === 'EROFS' || code === 'ENOTDIR' || code === 'EISDIR') {
    hint = 'set MYSQLOPS_HOME to a writable directory';
  } else if (code === 'ENOENT') {
    hint = `${dir} is missing: check MYSQLOPS_HOME, or start the sandbox again to recreate it`;
  } else {
    hint = `check ${file} and the directory holding it`;
  }
  return new MysqlopsError({
    code: 'E_SANDBOX',
    message: `cannot ${action} ${file}: ${reason}`,
    hint,
    cause: err,
    exitCode: SETUP_CODES.has(code) ? 2 : 1,
  });
}

/** Write `data` to `file` through a temp name in the same directory, then rename over it. */
export function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // openSync's mode is filtered by the umask; set it exactly so a 0644 file does not come out 0640.
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw sandboxFileError(err, 'write', file);
  }
}

/** The last `count` non-empty lines of `file`, or [] when it does not exist. Reads at most 64 KiB. */
export function readLastLines(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split(/\r?\n/);
    // The first line is probably cut in the middle when we did not read from the start.
    if (length < size) lines.shift();
    return lines.filter((l) => l.trim() !== '').slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

/** Append one line to a log file (created 0600 when missing). */
export function appendLine(file: string, line: string): void {
  try {
    fs.appendFileSync(file, `${line}\n`, { mode: 0o600 });
  } catch (err) {
    throw sandboxFileError(err, 'append to', file);
  }
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
