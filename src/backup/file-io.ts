/**
 * Writing and reading one backup file as a stream: plaintext -> compression -> encryption ->
 * sha256 and size -> a 0600 file under a temporary name, renamed when complete; and back, with the
 * sha256 and size checked against the manifest before the stream ends, so a consumer never sees
 * the end of a file whose bytes are not the ones the backup wrote.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError } from '../errors.js';
import { compressStream, corrupt, decompressStream } from './codec.js';
import { type BackupKey, decryptStream, encryptStream } from './crypto.js';
import type { Compression, ManifestFile } from './types.js';

export interface FileCodec {
  compression: Compression;
  /** Encrypt/decrypt with this key; undefined for plain files. */
  key?: BackupKey | undefined;
}

/** A backup file being written: write plaintext to `input`, end it, then await `done`. */
export interface FileSink {
  input: Writable;
  done: Promise<ManifestFile>;
}

/** Measures the bytes that pass: sha256 and count. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (err?: Error | null, data?: Buffer) => void,
  ) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/**
 * Open `relPath` under `dir` for writing. The file appears under its name only once complete;
 * it is created 0600 (as is its folder, 0700).
 */
export function openSink(dir: string, relPath: string, codec: FileCodec): FileSink {
  const target = path.join(dir, relPath);
  const temp = `${target}.partial`;
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  const measure = new Measure();
  const done = (async (): Promise<ManifestFile> => {
    await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const stages: Array<NodeJS.ReadWriteStream> = [compressStream(codec.compression)];
    if (codec.key) stages.push(encryptStream(codec.key, relPath));
    try {
      await pipeline([input, ...stages, measure, createWriteStream(temp, { mode: 0o600, flags: 'wx' })]);
      await fsp.rename(temp, target);
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err instanceof BackupError
        ? err
        : new BackupError({
            message: `writing backup file ${relPath} failed: ${(err as Error).message}`,
            file: relPath,
            cause: err,
          });
    }
    return { path: relPath, size: measure.bytes, sha256: measure.hash.digest('hex') };
  })();
  // The caller awaits `done`; until then an early failure must not count as unhandled.
  done.catch(() => {});
  return { input, done };
}

/**
 * The plaintext of a backup file as a stream. Fails with E_BACKUP_CORRUPT naming the file when it
 * is missing, its size or sha256 differs from the manifest, it does not decrypt or decompress.
 */
export function openSource(dir: string, file: ManifestFile, codec: FileCodec): Readable {
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      if (bytes !== file.size)
        return done(corrupt(file.path, `size is ${bytes} bytes, the manifest says ${file.size}`));
      if (hash.digest('hex') !== file.sha256)
        return done(corrupt(file.path, 'sha256 differs from the manifest'));
      done();
    },
  });
  const hash = createHash('sha256');
  let bytes = 0;
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const stages: Array<NodeJS.ReadWriteStream> = [check];
  if (codec.key) stages.push(decryptStream(codec.key, file.path));
  stages.push(decompressStream(codec.compression, file.path));
  const source = createReadStream(path.join(dir, file.path));
  pipeline([source, ...stages, out]).catch((err: unknown) => {
    out.destroy(toCorrupt(err, file.path));
  });
  return out;
}

function toCorrupt(err: unknown, file: string): Error {
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return corrupt(file, 'the file is missing');
  return corrupt(file, e.message ?? String(err));
}

/** Read a whole (small) backup file into memory, checked. */
export async function readWhole(dir: string, file: ManifestFile, codec: FileCodec): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of openSource(dir, file, codec)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Write a small file whole through the same codec. */
export async function writeWhole(
  dir: string,
  relPath: string,
  data: Buffer,
  codec: FileCodec,
): Promise<ManifestFile> {
  const sink = openSink(dir, relPath, codec);
  sink.input.end(data);
  return sink.done;
}
