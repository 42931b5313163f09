/**
 * Small file helpers shared by the sandbox: atomic writes (temp name + rename, so a reader never sees
 * half a file and a crash never leaves one) and reading the tail of a log without loading all of it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';

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
    throw err;
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
  fs.appendFileSync(file, `${line}\n`, { mode: 0o600 });
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
