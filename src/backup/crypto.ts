/**
 * Encryption of backup files: AES-256-GCM in authenticated segments, so that any altered, missing,
 * reordered or appended byte, a file swapped for another, or a wrong key is detected before the
 * segment it touches is used.
 *
 * File layout: `MYOPSEC1` (8 bytes) + a random file nonce (16 bytes), then segments:
 * a 4-byte big-endian word (bit 31 set on the last segment, low bits the plaintext length),
 * the ciphertext, and the 16-byte GCM tag. Each file has its own key, HKDF-SHA256 of the backup
 * key with the file nonce as salt and the file's relative path as info (so renaming a file breaks
 * it); a segment's IV is its counter, and its additional data is the header, the counter and the
 * last-segment flag (so truncation at a segment boundary is detected too).
 *
 * The backup key comes from a key file: exactly 32 bytes, or 64 hex characters, or base64 of 32
 * bytes, is the key itself; anything else is a passphrase, stretched with scrypt and a per-backup
 * salt kept in the manifest. The manifest also keeps an HMAC of a fixed text under the key, so a
 * wrong key is named as such at once.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { inspect } from 'node:util';
import { BackupError } from '../errors.js';
import type { EncryptionInfo } from './types.js';

const MAGIC = Buffer.from('MYOPSEC1', 'latin1');
const HEADER_BYTES = MAGIC.length + 16;
const TAG_BYTES = 16;
const FINAL = 0x8000_0000;
/** Plaintext bytes per segment: large enough that the 20 bytes of framing do not matter. */
export const SEGMENT_BYTES = 256 * 1024;
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_CHECK_TEXT = 'mysqlops backup key check v1';

/** A 32-byte key that never prints: `String(key)`, JSON and inspect all show `[redacted]`. */
export class BackupKey {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError('a backup key has 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** @internal The key bytes, for the cipher only. */
  bytes(): Buffer {
    return this.#key;
  }

  /** The per-file key for `relativePath` with this file nonce. */
  fileKey(nonce: Buffer, relativePath: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, nonce, `mysqlops-backup-file:${relativePath}`, 32));
  }

  /** HMAC of a fixed text: stored in the manifest to tell a wrong key early. */
  keyCheck(): string {
    return createHmac('sha256', this.#key).update(KEY_CHECK_TEXT).digest('base64');
  }

  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** What a key file holds: the key itself, or a passphrase to stretch. */
export type KeyMaterial = { kind: 'raw'; key: BackupKey } | { kind: 'passphrase'; passphrase: Buffer };

/** Read a key file. Throws E_BACKUP_KEY (exit 2) when it cannot be read or is empty. */
export function readKeyFile(file: string): KeyMaterial {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new BackupError({
      code: 'E_BACKUP_KEY',
      message: `cannot read the backup key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      hint: 'set BACKUP_KEY_FILE to a readable file holding a 32-byte key or a passphrase',
      exitCode: 2,
      cause: err,
    });
  }
  if (bytes.length === 32) return { kind: 'raw', key: new BackupKey(bytes) };
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { kind: 'raw', key: new BackupKey(Buffer.from(text, 'hex')) };
  if (/^[A-Za-z0-9+/]{43}=$/.test(text))
    return { kind: 'raw', key: new BackupKey(Buffer.from(text, 'base64')) };
  if (text.length === 0) {
    throw new BackupError({
      code: 'E_BACKUP_KEY',
      message: `the backup key file ${file} is empty`,
      hint: 'write a key (e.g. `openssl rand -hex 32 > FILE`) or a passphrase into it',
      exitCode: 2,
    });
  }
  return { kind: 'passphrase', passphrase: Buffer.from(text, 'utf8') };
}

/**
 * The key and manifest entry for a new backup under `settings`: none when encryption is off;
 * E_BACKUP_KEY (exit 2) when it is on without a key file.
 */
export function encryptionForNewBackup(settings: { encrypt: boolean; keyFile?: string | null }): {
  key: BackupKey | undefined;
  encryption: EncryptionInfo | null;
} {
  if (!settings.encrypt) return { key: undefined, encryption: null };
  if (!settings.keyFile) {
    throw new BackupError({
      code: 'E_BACKUP_KEY',
      message: 'ENCRYPT_BACKUPS is on but no key file is configured',
      hint: 'set BACKUP_KEY_FILE to a file holding a 32-byte key or a passphrase',
      exitCode: 2,
    });
  }
  const made = keyForNewBackup(readKeyFile(settings.keyFile));
  return { key: made.key, encryption: made.info };
}

/** A new backup's key and the manifest's encryption entry (a fresh salt for a passphrase). */
export function keyForNewBackup(material: KeyMaterial): { key: BackupKey; info: EncryptionInfo } {
  if (material.kind === 'raw') {
    return {
      key: material.key,
      info: {
        algorithm: 'aes-256-gcm',
        kdf: 'raw',
        keyCheck: material.key.keyCheck(),
        segmentBytes: SEGMENT_BYTES,
      },
    };
  }
  const salt = randomBytes(16);
  const key = new BackupKey(
    scryptSync(material.passphrase, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 }),
  );
  return {
    key,
    info: {
      algorithm: 'aes-256-gcm',
      kdf: 'scrypt',
      salt: salt.toString('base64'),
      params: { ...SCRYPT },
      keyCheck: key.keyCheck(),
      segmentBytes: SEGMENT_BYTES,
    },
  };
}

/** The key of an existing backup; throws E_BACKUP_KEY (exit 1) when it is not the backup's key. */
export function keyForBackup(material: KeyMaterial, info: EncryptionInfo): BackupKey {
  let key: BackupKey;
  if (info.kdf === 'raw') {
    if (material.kind !== 'raw')
      throw wrongKey('the backup was encrypted with a key, the key file holds a passphrase');
    key = material.key;
  } else {
    const passphrase =
      material.kind === 'passphrase' ? material.passphrase : Buffer.from(material.key.bytes());
    const params = info.params ?? SCRYPT;
    key = new BackupKey(
      scryptSync(passphrase, Buffer.from(info.salt ?? '', 'base64'), 32, {
        ...params,
        maxmem: 256 * params.N * params.r + 1024 * 1024,
      }),
    );
  }
  if (key.keyCheck() !== info.keyCheck)
    throw wrongKey('the key does not match the one the backup was made with');
  return key;
}

function wrongKey(detail: string): BackupError {
  return new BackupError({
    code: 'E_BACKUP_KEY',
    message: `wrong backup key: ${detail}`,
    hint: 'point BACKUP_KEY_FILE at the key file that was in use when the backup was taken',
  });
}

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  iv.writeUInt32BE(counter >>> 0, 8);
  return iv;
}

function aadFor(header: Buffer, counter: number, final: boolean): Buffer {
  const aad = Buffer.alloc(header.length + 9);
  header.copy(aad, 0);
  aad.writeUInt32BE(Math.floor(counter / 2 ** 32), header.length);
  aad.writeUInt32BE(counter >>> 0, header.length + 4);
  aad[header.length + 8] = final ? 1 : 0;
  return aad;
}

/** A stream that encrypts what passes through into the segmented format, for the file `relativePath`. */
export function encryptStream(key: BackupKey, relativePath: string): Transform {
  const nonce = randomBytes(16);
  const header = Buffer.concat([MAGIC, nonce]);
  const fileKey = key.fileKey(nonce, relativePath);
  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let headerSent = false;

  const seal = (plain: Buffer, final: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', fileKey, ivFor(counter));
    cipher.setAAD(aadFor(header, counter, final));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const word = Buffer.alloc(4);
    word.writeUInt32BE((final ? FINAL : 0) + plain.length);
    counter++;
    return Buffer.concat([word, body, cipher.getAuthTag()]);
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!headerSent) {
        this.push(header);
        headerSent = true;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes > SEGMENT_BYTES) {
        let all = Buffer.concat(pending);
        // Keep at least one byte back: the last segment is sealed with the final flag in flush().
        while (all.length > SEGMENT_BYTES) {
          this.push(seal(all.subarray(0, SEGMENT_BYTES), false));
          all = all.subarray(SEGMENT_BYTES);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!headerSent) this.push(header);
      this.push(seal(Buffer.concat(pending), true));
      pending = [];
      done();
    },
  });
}

/**
 * A stream that checks and decrypts the segmented format. Fails with E_BACKUP_CORRUPT naming
 * `relativePath` on a bad header, a segment that does not authenticate, a missing last segment
 * (truncation) or bytes after it.
 */
export function decryptStream(key: BackupKey, relativePath: string): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let header: Buffer | undefined;
  let fileKey: Buffer | undefined;
  let counter = 0;
  let finished = false;
  const corrupt = (what: string) =>
    new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: `backup file ${relativePath} is damaged: ${what}`,
      hint: 'the file was changed or truncated after the backup was written; use another backup',
      file: relativePath,
    });

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!header) {
          if (buffered.length < HEADER_BYTES) return done();
          header = Buffer.from(buffered.subarray(0, HEADER_BYTES));
          if (!header.subarray(0, MAGIC.length).equals(MAGIC))
            throw corrupt('not an encrypted mysqlops file');
          fileKey = key.fileKey(header.subarray(MAGIC.length), relativePath);
          buffered = buffered.subarray(HEADER_BYTES);
        }
        while (buffered.length >= 4) {
          if (finished) throw corrupt('bytes after the last segment');
          const word = buffered.readUInt32BE(0);
          const final = word >= FINAL;
          const length = final ? word - FINAL : word;
          if (length > SEGMENT_BYTES) throw corrupt(`segment ${counter} has an impossible length`);
          const total = 4 + length + TAG_BYTES;
          if (buffered.length < total) break;
          const decipher = createDecipheriv('aes-256-gcm', fileKey as Buffer, ivFor(counter));
          decipher.setAAD(aadFor(header, counter, final));
          decipher.setAuthTag(buffered.subarray(4 + length, total));
          let plain: Buffer;
          try {
            plain = Buffer.concat([decipher.update(buffered.subarray(4, 4 + length)), decipher.final()]);
          } catch {
            throw corrupt(`segment ${counter} does not authenticate`);
          }
          counter++;
          finished = final;
          buffered = buffered.subarray(total);
          if (plain.length > 0) this.push(plain);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!header) return done(corrupt('shorter than its header'));
      if (buffered.length > 0 && finished) return done(corrupt('bytes after the last segment'));
      if (!finished) return done(corrupt('truncated (the last segment is missing)'));
      done();
    },
  });
}
