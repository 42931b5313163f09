/**
 * Exact round trips of the values logical dumps get wrong, and chunking that neither loses nor
 * duplicates a row: composite and case-insensitive string keys, zero dates in a key, extreme
 * integers, a table without any key holding identical rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupResult, backupFull, restore } from '../../src/backup/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, checksums, dropDatabase, freshName, settings } from './helpers.js';

let src: TestDatabase;
let backup: BackupResult;
const target = freshName('bk_edge_copy');
const s = settings(backupDir('edge'), { compression: 'gzip', threads: 3 });

const EVERY_TYPE = `CREATE TABLE every_type (
  id INT PRIMARY KEY,
  t VARCHAR(60), tl VARCHAR(60) CHARACTER SET latin1, tx LONGTEXT, ch CHAR(5),
  b VARBINARY(20), bl BLOB, bn BINARY(4),
  bi BIT(10), b64 BIT(64),
  d DECIMAL(65,30), ti TINYINT, bu BIGINT UNSIGNED, bs BIGINT,
  f FLOAT, dd DOUBLE,
  j JSON, g GEOMETRY,
  dt DATETIME(6), da DATE, ts TIMESTAMP(3) NULL, tm TIME(6), y YEAR,
  e ENUM('a','b'), st SET('x','y'),
  v_gen INT AS (id * 2) VIRTUAL, s_gen VARCHAR(70) AS (CONCAT('[', t, ']')) STORED
)`;

const ROWS = `INSERT INTO every_type (id, t, tl, tx, ch, b, bl, bn, bi, b64, d, ti, bu, bs, f, dd, j, g, dt, da, ts, tm, y, e, st) VALUES
 (1, 'tab\\there\\nnew line\\\\back\\rCR', 'é\\\\N', 'x\\0y', 'ab', 0x00090A5C0D1A4E, 0x5C4E0A, 0x00000000,
  b'1010101010', b'1111111111111111111111111111111111111111111111111111111111111111',
  '12345678901234567890123456789012345.123456789012345678901234567890', -128, 18446744073709551615, -9223372036854775808,
  1.1, 0.1 + 0.2, '{"a": [1, 2, "😀"], "b": null}', ST_GeomFromText('POINT(1.5 2.25)'),
  '0000-00-00 00:00:00', '0000-00-00', '1970-01-01 00:00:01.001', '-838:59:59', 0, 'b', 'x,y'),
 (2, '', '', '', '', X'', '', X'FFFFFFFF', b'0', b'0', '-0.000000000000000000000000000001', 127, 0, 9223372036854775807,
  3.40282e38, 1.7976931348623157e308, 'null', NULL, '2024-02-29 23:59:59.999999', '2024-02-29', '2038-01-19 03:14:07.999',
  '00:00:00.000001', 2155, '', ''),
 (3, 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', '\\\\N', 'NULL', NULL, NULL, NULL, NULL, NULL, NULL, -1.17549e-38, 5e-324, NULL,
  ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326), NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, '\\\\N𝄞😀 4-byte', 'ÿ', REPEAT('long ', 20000), NULL, NULL, REPEAT(0x00FF, 5000), NULL, b'1111111111', NULL, '0', 0, 1, -1,
  NULL, NULL, '[]', NULL, '9999-12-31 23:59:59.999999', '1000-01-01', NULL, '838:59:59', 1901, 'a', 'y'),
 (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL)`;

beforeAll(async () => {
  src = await createTestDatabase('bk_edge');
  const db = src.db;
  await db.execute("SET SESSION sql_mode = ''");
  // The session's sql_mode applies to this connection only: run the inserts in one transaction.
  await db.transaction(async (tx) => {
    await tx.execute("SET SESSION sql_mode = ''");
    await tx.execute(EVERY_TYPE);
    await tx.execute(ROWS);
    // The same values in a table without unbounded columns: read with server-side escaping.
    await tx.execute(
      `CREATE TABLE bounded_types AS SELECT id, t, tl, ch, b, bn, bi, b64, d, ti, bu, bs, f, dd, dt, da, ts, tm, y, e, st,
              CAST(bl AS BINARY(200)) AS bl200 FROM every_type WHERE id <> 4`,
    );
    await tx.execute(
      'ALTER TABLE bounded_types ADD PRIMARY KEY (id), ADD COLUMN tt TEXT, ADD COLUMN bb BLOB',
    );
    await tx.execute("UPDATE bounded_types SET tt = CONCAT(t, '\\\\\\t'), bb = b");
    await tx.execute(
      'CREATE TABLE ci_keys (s VARCHAR(20) COLLATE utf8mb4_unicode_ci NOT NULL, n INT NOT NULL, payload VARCHAR(10), PRIMARY KEY (s, n))',
    );
    // Case and accent variants and trailing spaces: equal or adjacent in the collation, apart in binary.
    await tx.execute(
      `INSERT INTO ci_keys SELECT ELT(1 + seq % 6, 'a', 'A', 'á', 'b', 'B ', 'ß'), seq, CONCAT('p', seq) FROM seq_1_to_1500`,
    );
    await tx.execute(
      'CREATE TABLE zero_date_keys (at DATETIME NOT NULL, k VARBINARY(8) NOT NULL, PRIMARY KEY (at, k))',
    );
    await tx.execute(
      `INSERT INTO zero_date_keys SELECT IF(seq % 5 = 0, '0000-00-00 00:00:00', '2024-01-01' + INTERVAL seq MINUTE), UNHEX(LPAD(HEX(seq), 6, '0')) FROM seq_1_to_800`,
    );
    await tx.execute('CREATE TABLE big_ints (id BIGINT NOT NULL PRIMARY KEY, note CHAR(3))');
    await tx.execute(
      `INSERT INTO big_ints SELECT CAST(seq AS SIGNED) * 1000000000000 - 4611686018427387904, 'x' FROM seq_1_to_900
       UNION ALL SELECT -9223372036854775808, 'min' UNION ALL SELECT 9223372036854775807, 'max'`,
    );
    await tx.execute('CREATE TABLE no_key (a INT, b VARCHAR(5))');
    await tx.execute('INSERT INTO no_key SELECT seq % 3, IF(seq % 2, NULL, "dup") FROM seq_1_to_600');
  });
  await db.execute('ANALYZE TABLE ci_keys, zero_date_keys, big_ints, no_key');
  backup = await backupFull(src.config(), s, { chunkRows: 100 });
  await restore(src.config(), s, backup.id, { targetDb: target });
}, 180_000);

afterAll(async () => {
  await dropDatabase(target);
  await src?.drop();
});

describe('edge values and chunk boundaries', () => {
  it('round-trips every column type exactly (CHECKSUM TABLE and each value)', async () => {
    const before = await checksums(src.db, src.name);
    const after = await checksums(src.db, target);
    expect(after).toEqual(before);
    const cols =
      'id, HEX(t), HEX(tl), HEX(tx), HEX(ch), HEX(b), HEX(bl), HEX(bn), bi + 0 AS bi, b64 + 0 AS b64, CAST(d AS CHAR), ti, CAST(bu AS CHAR), CAST(bs AS CHAR), ' +
      'f, dd, HEX(j), ST_AsText(g), ST_SRID(g), CAST(dt AS CHAR), CAST(da AS CHAR), CAST(ts AS CHAR), CAST(tm AS CHAR), y, e + 0 AS e, st + 0 AS st, v_gen, s_gen';
    const a = await src.db.query(`SELECT ${cols} FROM every_type ORDER BY id`);
    const b = await src.db.query(`SELECT ${cols} FROM \`${target}\`.every_type ORDER BY id`);
    expect(a).toHaveLength(5);
    expect(b).toEqual(a);
  });

  it('keeps NULL, empty and the text NULL apart', async () => {
    const rows = await src.db.query<{ id: number; t: string | null }>(
      `SELECT id, t FROM \`${target}\`.every_type WHERE id IN (2, 3, 5) ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 2, t: '' },
      { id: 3, t: 'NULL' },
      { id: 5, t: null },
    ]);
  });

  it('chunks composite, case-insensitive and zero-date keys without losing or duplicating a row', async () => {
    const byName = new Map(backup.manifest.tables.map((t) => [t.table, t]));
    expect(byName.get('ci_keys')?.chunking).toBe('key-boundaries');
    expect(byName.get('ci_keys')?.chunks.length).toBeGreaterThan(5);
    expect(byName.get('zero_date_keys')?.chunking).toBe('key-boundaries');
    expect(byName.get('big_ints')?.chunking).toBe('integer-range');
    expect(byName.get('no_key')?.chunking).toBe('single');
    expect(byName.get('ci_keys')?.rows).toBe(1500);
    expect(byName.get('zero_date_keys')?.rows).toBe(800);
    expect(byName.get('big_ints')?.rows).toBe(902);
    expect(byName.get('no_key')?.rows).toBe(600);
    // Both ways of escaping are exercised: the server's for bounded rows, ours for the others.
    expect(byName.get('every_type')?.encoding).toBe('client');
    expect(byName.get('bounded_types')?.encoding).toBe('server');
    expect(byName.get('ci_keys')?.encoding).toBe('server');
  });

  it('dumps generated columns for nobody: the server computes them again', () => {
    const t = backup.manifest.tables.find((x) => x.table === 'every_type');
    expect(t?.columns).not.toContain('v_gen');
    expect(t?.columns).not.toContain('s_gen');
  });
});
