/**
 * The pure parts of the backup format: row encoding, the encrypted segment framing, the DDL split,
 * and the chunk boundary conditions.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../../src/backup/catalog.js';
import { compareKey } from '../../src/backup/chunk-planner.js';
import {
  BackupKey,
  decryptStream,
  encryptStream,
  keyForBackup,
  keyForNewBackup,
  readKeyFile,
  SEGMENT_BYTES,
} from '../../src/backup/crypto.js';
import { splitCreateTable } from '../../src/backup/schema-dump.js';
import { decodeLine, RowEncoder } from '../../src/backup/tsv-encode.js';
import { BackupError } from '../../src/errors.js';
import { backupDir } from './helpers.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('RowEncoder', () => {
  it('keeps NULL, the empty string, the word NULL and the text \\N apart', () => {
    const enc = new RowEncoder(4);
    enc.add([null, b(''), b('NULL'), b('\\N')]);
    const out = enc.take();
    expect(out.toString('latin1')).toBe('\\N\t\tNULL\t\\\\N\n');
    expect(decodeLine(out.subarray(0, -1))).toEqual([null, b(''), b('NULL'), b('\\N')]);
  });

  it('escapes tabs, newlines, carriage returns, backslashes, NUL and Ctrl-Z byte by byte', () => {
    const raw = Buffer.from([0x61, 0x09, 0x0a, 0x0d, 0x5c, 0x00, 0x1a, 0xff, 0xf0, 0x9f, 0x98, 0x80]);
    const enc = new RowEncoder(1);
    enc.add([raw, b('x')]);
    const out = enc.take();
    // Exactly one newline: the row's end.
    expect(out.filter((x) => x === 0x0a).length).toBe(1);
    expect(decodeLine(out.subarray(0, -1))).toEqual([raw, b('x')]);
  });

  it('round-trips random binary values', () => {
    const enc = new RowEncoder(16);
    const rows = Array.from({ length: 50 }, () => [
      randomBytes(Math.floor(Math.random() * 40)),
      null,
      randomBytes(3),
    ]);
    for (const r of rows) enc.add(r);
    const lines: Buffer[] = [];
    const out = enc.take();
    let from = 0;
    for (let i = out.indexOf(10); i !== -1; i = out.indexOf(10, from)) {
      lines.push(out.subarray(from, i));
      from = i + 1;
    }
    expect(lines.map(decodeLine)).toEqual(rows);
  });
});

async function roundTrip(key: BackupKey, plain: Buffer, name = 'data/x.tsv'): Promise<Buffer> {
  const sealed = await buffer(Readable.from([plain]).pipe(encryptStream(key, name)));
  return buffer(Readable.from([sealed]).pipe(decryptStream(key, name)));
}

async function seal(key: BackupKey, plain: Buffer, name = 'data/x.tsv'): Promise<Buffer> {
  return buffer(Readable.from([plain]).pipe(encryptStream(key, name)));
}

async function open(key: BackupKey, sealed: Buffer, name = 'data/x.tsv'): Promise<Buffer> {
  return buffer(Readable.from([sealed]).pipe(decryptStream(key, name)));
}

describe('encrypted segments', () => {
  const key = new BackupKey(randomBytes(32));

  it('round-trips empty, small and multi-segment data', async () => {
    for (const size of [0, 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES + 17]) {
      const plain = randomBytes(size);
      expect((await roundTrip(key, plain)).equals(plain)).toBe(true);
    }
  });

  it('detects a flipped byte anywhere', async () => {
    const sealed = await seal(key, randomBytes(SEGMENT_BYTES + 100));
    for (const at of [3, 30, 40, SEGMENT_BYTES, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] as number) ^ 0x01;
      await expect(open(key, bad)).rejects.toMatchObject({ code: 'E_BACKUP_CORRUPT', file: 'data/x.tsv' });
    }
  });

  it('detects truncation, also at a segment boundary, and appended bytes', async () => {
    const sealed = await seal(key, randomBytes(2 * SEGMENT_BYTES + 5));
    const firstSegmentEnd = 24 + 4 + SEGMENT_BYTES + 16;
    for (const cut of [sealed.length - 1, firstSegmentEnd, 24, 10]) {
      await expect(open(key, sealed.subarray(0, cut))).rejects.toThrow(/damaged/);
    }
    await expect(open(key, Buffer.concat([sealed, Buffer.from([0, 0, 0, 0])]))).rejects.toThrow(
      /after the last/,
    );
  });

  it('refuses a file renamed to another name, and another key', async () => {
    const sealed = await seal(key, b('hello'), 'data/a.tsv');
    await expect(open(key, sealed, 'data/b.tsv')).rejects.toThrow(/does not authenticate/);
    await expect(open(new BackupKey(randomBytes(32)), sealed, 'data/a.tsv')).rejects.toThrow(
      /does not authenticate/,
    );
  });

  it('never prints the key', () => {
    expect(String(key)).toBe('[redacted]');
    expect(JSON.stringify({ key })).toBe('{"key":"[redacted]"}');
    expect(inspect(key)).toBe('[redacted]');
  });
});

describe('key files', () => {
  const dir = backupDir('keys');
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };

  it('reads raw, hex and base64 keys, and treats anything else as a passphrase', () => {
    const raw = randomBytes(32);
    expect(readKeyFile(write('raw', raw)).kind).toBe('raw');
    expect(readKeyFile(write('hex', `${raw.toString('hex')}\n`)).kind).toBe('raw');
    expect(readKeyFile(write('b64', raw.toString('base64'))).kind).toBe('raw');
    expect(readKeyFile(write('pass', 'correct horse battery staple\n')).kind).toBe('passphrase');
  });

  it('derives the same key from the passphrase and the salt, and names a wrong one', () => {
    const made = keyForNewBackup(readKeyFile(write('p1', 'first passphrase')));
    expect(made.info.kdf).toBe('scrypt');
    const again = keyForBackup(readKeyFile(write('p2', 'first passphrase')), made.info);
    expect(again.keyCheck()).toBe(made.key.keyCheck());
    expect(() => keyForBackup(readKeyFile(write('p3', 'second passphrase')), made.info)).toThrow(BackupError);
    try {
      keyForBackup(readKeyFile(write('p4', 'other')), made.info);
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_BACKUP_KEY', exitCode: 1 });
    }
  });

  it('refuses an empty or missing key file as a configuration error', () => {
    expect(() => readKeyFile(write('empty', ''))).toThrow(/empty/);
    expect(() => readKeyFile(path.join(dir, 'nope'))).toThrow(
      expect.objectContaining({ code: 'E_BACKUP_KEY', exitCode: 2 }),
    );
  });
});

describe('splitCreateTable', () => {
  const create = [
    'CREATE TABLE `order_items` (',
    '  `id` bigint(20) NOT NULL AUTO_INCREMENT,',
    '  `order_id` bigint(20) NOT NULL,',
    '  `sku` varchar(20) NOT NULL,',
    '  PRIMARY KEY (`id`),',
    '  UNIQUE KEY `uq_sku` (`order_id`,`sku`),',
    '  KEY `idx_sku` (`sku`),',
    '  CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE,',
    "  CONSTRAINT `chk_sku` CHECK (`sku` <> _utf8mb4'')",
    ') ENGINE=InnoDB AUTO_INCREMENT=12 DEFAULT CHARSET=utf8mb4',
  ].join('\n');

  it('keeps the primary key and checks, defers secondary keys and foreign keys', () => {
    const split = splitCreateTable(create);
    expect(split.create).toContain('PRIMARY KEY (`id`),');
    expect(split.create).toContain('CONSTRAINT `chk_sku` CHECK');
    expect(split.create).not.toContain('KEY `idx_sku`');
    expect(split.create).not.toContain('FOREIGN KEY');
    expect(split.keys).toEqual(['ADD UNIQUE KEY `uq_sku` (`order_id`,`sku`)', 'ADD KEY `idx_sku` (`sku`)']);
    expect(split.foreignKeys).toEqual([
      'ADD CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE',
    ]);
  });

  it('leaves no dangling comma when the last line before ) was deferred', () => {
    const split = splitCreateTable(
      'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`),\n  KEY `k` (`a`)\n) ENGINE=InnoDB',
    );
    expect(split.create).toBe(
      'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB',
    );
  });

  it('keeps the key an AUTO_INCREMENT column needs when it is not the primary key', () => {
    const split = splitCreateTable(
      'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `n` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`a`),\n  KEY `kn` (`n`)\n) ENGINE=InnoDB',
    );
    expect(split.create).toContain('KEY `kn` (`n`)');
    expect(split.keys).toEqual([]);
  });
});

describe('chunk boundaries', () => {
  const col = (name: string, dataType: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
    name,
    dataType,
    columnType: dataType,
    charset: null,
    collation: null,
    numericPrecision: null,
    numericScale: null,
    datetimePrecision: null,
    octetLength: null,
    ...extra,
  });

  it('compares composite keys lexicographically, strings in their own collation, integers as integers', () => {
    const key = [
      col('s', 'varchar', { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }),
      col('n', 'bigint', { columnType: 'bigint(20) unsigned' }),
    ];
    const gt = compareKey(key, '>', ['41', '9007199254740993']);
    expect(gt.sql).toBe(
      '(`s` > CONVERT(UNHEX(?) USING utf8mb4) COLLATE utf8mb4_unicode_ci OR (`s` = CONVERT(UNHEX(?) USING utf8mb4) COLLATE utf8mb4_unicode_ci AND `n` > CAST(? AS UNSIGNED)))',
    );
    expect(gt.params).toEqual(['41', '41', '9007199254740993']);
    const le = compareKey(key, '<=', ['41', '7']);
    expect(le.sql).toContain('`s` < CONVERT');
    expect(le.sql).toContain('`n` <= CAST(? AS UNSIGNED)');
  });
});
