/**
 * Compression of backup files as streams: zstd through the `zstd` program (Node 20's zlib has no
 * zstd; the Debian package `zstd` provides it, and scripts/bootstrap.sh installs it), gzip through
 * zlib, or none. The child process gets no secrets: only data on stdin, an environment without
 * credentials, and fixed flags.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { BackupError } from '../errors.js';
import type { Compression } from './types.js';

/** The file name suffix of each compression. */
export const SUFFIX: Record<Compression, string> = { zstd: '.zst', gzip: '.gz', none: '' };

/** zstd level 3 (its default) and gzip level 6 (its default): the same "fast default" class. */
const ZSTD_LEVEL = '-3';
const GZIP_LEVEL = 6;

let zstdChecked: boolean | undefined;

/** True when the `zstd` program runs. Checked once per process. */
export function zstdAvailable(): boolean {
  zstdChecked ??= spawnSync('zstd', ['--version'], { stdio: 'ignore', env: safeEnv() }).status === 0;
  return zstdChecked;
}

/** Throws E_BACKUP (exit 2) when `compression` cannot be used on this machine. */
export function checkCompression(compression: Compression): void {
  if (compression === 'zstd' && !zstdAvailable()) {
    throw new BackupError({
      message: 'zstd compression needs the `zstd` program, which is not installed',
      hint: 'install it (apt-get install zstd; scripts/bootstrap.sh does) or choose --compression gzip',
      exitCode: 2,
    });
  }
}

/** A stream that compresses what passes through. */
export function compressStream(compression: Compression): Duplex {
  if (compression === 'gzip') return createGzip({ level: GZIP_LEVEL });
  if (compression === 'none') return new PassThrough();
  return childStream(['-q', '-c', ZSTD_LEVEL, '-T1'], 'compressing');
}

/** A stream that decompresses; a damaged input fails with E_BACKUP_CORRUPT naming `file`. */
export function decompressStream(compression: Compression, file: string): Duplex {
  if (compression === 'none') return new PassThrough();
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    const out = new PassThrough();
    gunzip.on('error', (err) => out.destroy(corrupt(file, err.message)));
    return Duplex.from({ writable: gunzip, readable: gunzip.pipe(out) });
  }
  return childStream(['-q', '-d', '-c'], 'decompressing', file);
}

/** E_BACKUP_CORRUPT naming `file`: what every integrity failure of a backup file becomes. */
export function corrupt(file: string, detail: string): BackupError {
  return new BackupError({
    code: 'E_BACKUP_CORRUPT',
    message: `backup file ${file} is damaged: ${detail}`,
    hint: 'the file was changed or truncated after the backup was written; use another backup',
    file,
  });
}

/** The `zstd` child as one duplex stream; a non-zero exit becomes an error on the stream. */
function childStream(args: string[], doing: string, file?: string): Duplex {
  const child: ChildProcess = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'], env: safeEnv() });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString('utf8');
  });
  const output = new PassThrough();
  const duplex = Duplex.from({ writable: child.stdin ?? undefined, readable: output });
  child.stdout?.on('error', () => {});
  child.stdin?.on('error', () => {});
  child.on('error', (err) => duplex.destroy(err));
  // Hold the end of the output back until the exit status says the data is whole.
  child.stdout?.pipe(output, { end: false });
  let stdoutDone = false;
  let exitCode: number | null | undefined;
  const settle = () => {
    if (!stdoutDone || exitCode === undefined) return;
    if (exitCode === 0) output.end();
    else {
      const detail = stderr.trim().split('\n').pop() ?? `zstd exited with ${exitCode}`;
      output.destroy(
        file
          ? corrupt(file, detail.replace(/^zstd: /, '').replace(/^\/\*stdin\*\\ ?: ?/, ''))
          : new BackupError({ message: `${doing} with zstd failed: ${detail}` }),
      );
    }
  };
  child.stdout?.on('end', () => {
    stdoutDone = true;
    settle();
  });
  child.on('close', (code) => {
    exitCode = code;
    stdoutDone = true;
    settle();
  });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** Our environment without anything that looks secret: zstd needs none of it. */
function safeEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      /PASSWORD|SECRET|KEY|TOKEN/i.test(name) ||
      name.startsWith('DB_') ||
      name === 'MYSQL_PWD'
    )
      continue;
    out[name] = value;
  }
  return out;
}
