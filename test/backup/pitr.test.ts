/**
 * Point-in-time recovery: a full backup, writes (rows, a trigger's rows, DDL), an incremental
 * backup, more writes, the moment T, more writes, another incremental backup. Restoring to T (or
 * to the GTID of that moment) into another database gives exactly the checksums taken at T; the
 * server's own logs reach past the chain when asked. Moments outside the chain, a wrong key, a
 * missing link and a damaged log are refused before the target is touched.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GtidLineFilter, readerArguments } from '../../src/backup/binlog-replay.js';
import { chooseParent } from '../../src/backup/incremental.js';
import {
  type BackupResult,
  backupFull,
  backupIncremental,
  type IncrementalResult,
  type Manifest,
  parseRecoveryTime,
  pitrRestore,
} from '../../src/backup/index.js';
import type { DatabaseManager } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, checksums, dropDatabase, freshName, settings, withAdmin } from './helpers.js';

let src: TestDatabase;
const dir = backupDir('pitr');
const keyFile = path.join(dir, 'backup.key');
const otherKey = path.join(dir, 'other.key');
const backups = path.join(dir, 'chain');
const s = settings(backups, { encrypt: true, keyFile });
const targets: string[] = [];
let beforeEverything: Date;
let full: BackupResult;
let first: IncrementalResult;
let second: IncrementalResult;
let atFirst: Record<string, string>;
let T: Date;
let atT: Record<string, string>;
let gtidAtT: string;

/** Wait until the wall clock enters the next second; that second, as a Date. */
async function nextSecond(): Promise<Date> {
  const now = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === now) await new Promise((r) => setTimeout(r, 10));
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

function target(): string {
  const name = freshName('pitr');
  targets.push(name);
  return name;
}

async function databaseExists(name: string): Promise<boolean> {
  return withAdmin(async (db) => {
    const rows = await db.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    return rows.length > 0;
  });
}

async function restoredChecksums(name: string): Promise<Record<string, string>> {
  return withAdmin((db: DatabaseManager) => checksums(db, name));
}

beforeAll(async () => {
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(otherKey, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  beforeEverything = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  src = await createTestDatabase('pitr');
  const db = src.db;
  await db.execute(
    'CREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NOT NULL)',
  );
  await db.execute('CREATE TABLE account_log (account_id INT NOT NULL, what VARCHAR(20) NOT NULL)');
  await db.execute(
    "CREATE TRIGGER accounts_ai AFTER INSERT ON accounts FOR EACH ROW INSERT INTO account_log VALUES (NEW.id, 'opened')",
  );
  await db.execute(
    "INSERT INTO accounts (owner, balance) SELECT CONCAT('owner ', seq), seq FROM seq_1_to_200",
  );
  full = await backupFull(src.config(), s);

  await db.execute("INSERT INTO accounts (owner, balance) VALUES ('after full', 10.50), ('tab\there', 0)");
  await db.execute('UPDATE accounts SET balance = balance * 2 WHERE id % 3 = 0');
  await db.execute('DELETE FROM accounts WHERE id BETWEEN 50 AND 59');
  await db.execute('CREATE TABLE later (k VARCHAR(10) PRIMARY KEY, v JSON)');
  await db.execute('INSERT INTO later VALUES (?, ?), (?, ?)', ['a', '{"x": 1}', 'b', null]);
  atFirst = await checksums(db, src.name);
  first = await backupIncremental(src.config(), s);

  await db.transaction(async (tx) => {
    await tx.execute('UPDATE accounts SET balance = balance - 5 WHERE id = 1');
    await tx.execute('UPDATE accounts SET balance = balance + 5 WHERE id = 2');
  });
  await db.execute('ALTER TABLE accounts ADD COLUMN note VARCHAR(20) NULL');
  await db.execute("UPDATE accounts SET note = 'noted' WHERE id < 20");
  await db.execute("INSERT INTO accounts (owner, balance, note) VALUES ('last before T', 1, 'x')");
  // Binary log times have whole seconds: T is a second that no write of either side falls in.
  T = await nextSecond();
  atT = await checksums(db, src.name);
  const [g] = await db.query<{ g: string }>('SELECT @@GLOBAL.gtid_binlog_pos AS g');
  gtidAtT = String(g?.g)
    .split(',')
    .find((x) => x.startsWith('0-')) as string;
  await nextSecond();

  await db.execute("UPDATE accounts SET owner = 'changed after T' WHERE id < 100");
  await db.execute('DELETE FROM later');
  await db.execute("INSERT INTO accounts (owner, balance) VALUES ('after T', 99)");
  second = await backupIncremental(src.config(), s);
}, 180_000);

afterAll(async () => {
  for (const t of targets) await dropDatabase(t);
  await src?.drop();
});

describe('point-in-time recovery', () => {
  it('restores to a time: exactly the checksums taken at that moment', async () => {
    expect(first.manifest.incremental?.parent).toBe(full.id);
    expect(second.manifest.incremental?.parent).toBe(first.id);
    const name = target();
    const scratch = mkdtempSync(path.join(dir, 'scratch-'));
    const seen: Array<{ mode: number; files: number[] }> = [];
    const r = await pitrRestore(src.config(), s, full.id, {
      to: { time: T },
      targetDb: name,
      tempDir: scratch,
      onProgress: (e) => {
        if (e.phase !== 'replay') return;
        const [work] = readdirSync(scratch);
        const folder = path.join(scratch, work as string);
        seen.push({
          mode: statSync(folder).mode & 0o777,
          files: readdirSync(folder).map((f) => statSync(path.join(folder, f)).mode & 0o777),
        });
      },
    });
    // The decrypted logs lived in a private folder, 0600 each, and are gone now.
    expect(seen).toHaveLength(1);
    expect(seen[0]?.mode).toBe(0o700);
    expect(seen[0]?.files.length).toBeGreaterThan(1);
    expect(new Set(seen[0]?.files)).toEqual(new Set([0o600]));
    expect(readdirSync(scratch)).toEqual([]);
    expect(r.chain).toEqual([first.id, second.id]);
    expect(r.serverBinlogs).toEqual([]);
    expect(r.stop).not.toBeNull();
    expect(r.transactions).toBeGreaterThan(0);
    expect(await restoredChecksums(name)).toEqual(atT);
    // The log table holds the trigger's rows once: replayed rows do not fire triggers again.
    expect(Object.keys(atT).sort()).toEqual(['account_log', 'accounts', 'later']);
  });

  it('restores to a GTID: the same state', async () => {
    const name = target();
    await pitrRestore(src.config(), s, full.id, { to: { gtid: gtidAtT }, targetDb: name });
    expect(await restoredChecksums(name)).toEqual(atT);
  });

  it('restores an incremental backup to its end', async () => {
    const name = target();
    const r = await pitrRestore(src.config(), s, first.id, { to: 'end', targetDb: name });
    expect(r.chain).toEqual([first.id]);
    expect(await restoredChecksums(name)).toEqual(atFirst);
  });

  it('refuses a time before the full backup’s snapshot, touching nothing', async () => {
    const name = target();
    await expect(
      pitrRestore(src.config(), s, full.id, { to: { time: beforeEverything }, targetDb: name }),
    ).rejects.toMatchObject({
      code: 'E_PITR_RANGE',
      exitCode: 2,
      message: expect.stringMatching(/before the snapshot/),
    });
    expect(await databaseExists(name)).toBe(false);
  });

  it('refuses a time past the end of the chain, touching nothing', async () => {
    const name = target();
    const later = new Date(Date.now() + 3_600_000);
    await expect(
      pitrRestore(src.config(), s, full.id, { to: { time: later }, targetDb: name }),
    ).rejects.toMatchObject({
      code: 'E_PITR_RANGE',
      exitCode: 2,
      message: expect.stringMatching(/after the end of the available binary logs/),
      hint: expect.stringMatching(/--server-binlogs/),
    });
    // Recovering up to the first incremental cannot reach T either.
    await expect(
      pitrRestore(src.config(), s, first.id, { to: { time: T }, targetDb: name }),
    ).rejects.toMatchObject({ code: 'E_PITR_RANGE', exitCode: 2 });
    expect(await databaseExists(name)).toBe(false);
  });

  it('refuses a GTID before the snapshot and one the chain does not hold', async () => {
    const name = target();
    await expect(
      pitrRestore(src.config(), s, full.id, { to: { gtid: '0-1-1' }, targetDb: name }),
    ).rejects.toMatchObject({
      code: 'E_PITR_RANGE',
      exitCode: 2,
      message: expect.stringMatching(/before the snapshot/),
    });
    await expect(
      pitrRestore(src.config(), s, full.id, { to: { gtid: '0-1-999999999' }, targetDb: name }),
    ).rejects.toMatchObject({ code: 'E_PITR_RANGE', exitCode: 2 });
    await expect(
      pitrRestore(src.config(), s, full.id, { to: { gtid: 'not a gtid' }, targetDb: name }),
    ).rejects.toMatchObject({ exitCode: 2 });
    expect(await databaseExists(name)).toBe(false);
  });

  it('continues with the server’s binary logs past the chain when asked', async () => {
    await src.db.execute("INSERT INTO accounts (owner, balance) VALUES ('after the chain', 7)");
    await src.db.execute('DELETE FROM account_log WHERE account_id < 10');
    const now = await nextSecond();
    const expected = await checksums(src.db, src.name);
    const name = target();
    const r = await pitrRestore(src.config(), s, full.id, {
      to: { time: now },
      targetDb: name,
      serverBinlogs: true,
    });
    expect(r.serverBinlogs.length).toBeGreaterThan(0);
    expect(await restoredChecksums(name)).toEqual(expected);
    // Without a moment: everything the server has written, up to now.
    const latest = target();
    await pitrRestore(src.config(), s, full.id, { to: 'end', targetDb: latest, serverBinlogs: true });
    expect(await restoredChecksums(latest)).toEqual(expected);
  });

  it('refuses the chain with a wrong key, touching nothing', async () => {
    const name = target();
    await expect(
      pitrRestore(src.config(), { ...s, keyFile: otherKey }, full.id, { to: { time: T }, targetDb: name }),
    ).rejects.toMatchObject({ code: 'E_BACKUP_KEY', exitCode: 1 });
    expect(await databaseExists(name)).toBe(false);
  });

  it('refuses a chain with a missing link, naming it', async () => {
    const copy = path.join(dir, 'gap');
    cpSync(backups, copy, { recursive: true });
    rmSync(path.join(copy, first.id, 'manifest.json'));
    const name = target();
    const gapped = { ...s, dir: copy };
    await expect(
      pitrRestore(src.config(), gapped, full.id, { to: { time: T }, targetDb: name }),
    ).rejects.toMatchObject({
      code: 'E_BACKUP_CHAIN',
      exitCode: 2,
      message: expect.stringContaining(first.id),
    });
    await expect(
      pitrRestore(src.config(), gapped, second.id, { to: 'end', targetDb: name }),
    ).rejects.toMatchObject({
      code: 'E_BACKUP_CHAIN',
      exitCode: 2,
      message: expect.stringContaining(first.id),
    });
    expect(await databaseExists(name)).toBe(false);
  });

  it('refuses a damaged binary log, naming the file, touching nothing', async () => {
    const copy = path.join(dir, 'damaged');
    cpSync(backups, copy, { recursive: true });
    const log = second.manifest.incremental?.binlogs[0]?.file as string;
    const file = path.join(copy, second.id, log);
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(file, bytes);
    const name = target();
    const scratch = mkdtempSync(path.join(dir, 'scratch-'));
    await expect(
      pitrRestore(src.config(), { ...s, dir: copy }, full.id, {
        to: { time: T },
        targetDb: name,
        tempDir: scratch,
      }),
    ).rejects.toMatchObject({ code: 'E_BACKUP_CORRUPT', file: log });
    expect(readdirSync(scratch)).toEqual([]);
    expect(await databaseExists(name)).toBe(false);
  });
});

describe('a chain whose incremental backups alone are encrypted', () => {
  const mixedDir = path.join(dir, 'mixed');
  let mixedFull: BackupResult;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('pitr_mixed');
    await db.db.execute('CREATE TABLE t (id INT PRIMARY KEY)');
    await db.db.execute('INSERT INTO t VALUES (1)');
    mixedFull = await backupFull(db.config(), settings(mixedDir));
    await db.db.execute('INSERT INTO t VALUES (2)');
    await backupIncremental(db.config(), settings(mixedDir, { encrypt: true, keyFile }));
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('needs the key for the incremental backups: wrong key exit 1, none exit 2', async () => {
    const name = target();
    await expect(
      pitrRestore(db.config(), settings(mixedDir, { keyFile: otherKey }), mixedFull.id, {
        to: 'end',
        targetDb: name,
      }),
    ).rejects.toMatchObject({ code: 'E_BACKUP_KEY', exitCode: 1 });
    await expect(
      pitrRestore(db.config(), settings(mixedDir), mixedFull.id, { to: 'end', targetDb: name }),
    ).rejects.toMatchObject({ code: 'E_BACKUP_KEY', exitCode: 2 });
    expect(await databaseExists(name)).toBe(false);
    const ok = target();
    await pitrRestore(db.config(), settings(mixedDir, { keyFile }), mixedFull.id, {
      to: 'end',
      targetDb: ok,
    });
    expect(await restoredChecksums(ok)).toEqual(await checksums(db.db, db.name));
  });

  it('restores under the database’s own name once it is gone, and refuses while it is not empty', async () => {
    const expected = await checksums(db.db, db.name);
    const keyed = settings(mixedDir, { keyFile });
    await expect(pitrRestore(db.config(), keyed, mixedFull.id, { to: 'end' })).rejects.toMatchObject({
      code: 'E_RESTORE_TARGET',
    });
    await dropDatabase(db.name);
    const r = await pitrRestore(db.config(), keyed, mixedFull.id, { to: 'end' });
    expect(r.databases).toEqual([{ source: db.name, target: db.name }]);
    expect(await restoredChecksums(db.name)).toEqual(expected);
  });
});

describe('restore --to-time / --to-gtid on the command line', () => {
  it('restores to a time given in UTC and reports it as JSON', async () => {
    const name = target();
    const when = T.toISOString().slice(0, 19).replace('T', ' ');
    const r = await runCliOnSandbox(['restore', full.id, '--to-time', when, '--target-db', name, '--json'], {
      DB_NAME: src.name,
      BACKUP_DIR: backups,
      ENCRYPT_BACKUPS: 'true',
      BACKUP_KEY_FILE: keyFile,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, id: full.id, chain: [first.id, second.id] });
    expect(await restoredChecksums(name)).toEqual(atT);
  });

  it('restores an incremental backup named alone: its chain up to it', async () => {
    const name = target();
    const r = await runCliOnSandbox(['restore', first.id, '--target-db', name], {
      DB_NAME: src.name,
      BACKUP_DIR: backups,
      ENCRYPT_BACKUPS: 'true',
      BACKUP_KEY_FILE: keyFile,
    });
    // stderr holds the progress bar.
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`restored ${full.id} into ${src.name} -> ${name}`));
    expect(r.stdout).toMatch(
      new RegExp(`replayed [\\d,]+ transactions .*logs of incremental backups ${first.id}`),
    );
    expect(await restoredChecksums(name)).toEqual(atFirst);
  });

  it('rejects a malformed time, and both flags at once, with exit 2 and a hint', async () => {
    const env = { DB_NAME: src.name, BACKUP_DIR: backups, ENCRYPT_BACKUPS: 'true', BACKUP_KEY_FILE: keyFile };
    const bad = await runCliOnSandbox(['restore', full.id, '--to-time', 'yesterday noon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to-time/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const both = await runCliOnSandbox(
      ['restore', full.id, '--to-time', '2026-01-01 00:00:00', '--to-gtid', '0-1-1'],
      env,
    );
    expect(both.code).toBe(2);
  });
});

describe('pieces', () => {
  it('parses recovery times as UTC unless an offset is given', () => {
    expect(parseRecoveryTime('2026-11-25 10:00:00')?.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(parseRecoveryTime('2026-11-25T10:00:00Z')?.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(parseRecoveryTime('2026-11-25 10:00:00+01:00')?.toISOString()).toBe('2026-11-25T09:00:00.000Z');
    expect(parseRecoveryTime('2026-02-30 10:00:00')).toBeUndefined();
    expect(parseRecoveryTime('2026-11-25 10:00:00.5')).toBeUndefined();
    expect(parseRecoveryTime('10:00')).toBeUndefined();
  });

  it('drops only the lines that set a GTID or server id, across chunk borders', async () => {
    const text = [
      '# at 330',
      '/*M!100001 SET @@session.gtid_domain_id=0*//*!*/;',
      '/*M!100001 SET @@session.server_id=1*//*!*/;',
      '/*M!100001 SET @@session.gtid_seq_no=17*//*!*/;',
      'START TRANSACTION',
      "INSERT INTO t VALUES ('/*M!100001 SET @@session.gtid_seq_no=1*//*!*/;')",
      '/*!100001 SET @@session.skip_parallel_replication=0*//*!*/;',
      'COMMIT/*!*/;',
      '',
    ].join('\n');
    const filter = new GtidLineFilter();
    const out: Buffer[] = [];
    filter.on('data', (d: Buffer) => out.push(d));
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 7) filter.write(bytes.subarray(i, i + 7));
    filter.end();
    await new Promise((r) => filter.on('end', r));
    expect(Buffer.concat(out).toString()).toBe(
      [
        '# at 330',
        'START TRANSACTION',
        "INSERT INTO t VALUES ('/*M!100001 SET @@session.gtid_seq_no=1*//*!*/;')",
        '/*!100001 SET @@session.skip_parallel_replication=0*//*!*/;',
        'COMMIT/*!*/;',
        '',
      ].join('\n'),
    );
  });

  it('streams a line of megabytes straight through, and still drops a GTID line after it', async () => {
    const big = `INSERT INTO t VALUES ('${'x'.repeat(3 * 1024 * 1024)}')`;
    const text = `${big}\n/*M!100001 SET @@session.gtid_seq_no=9*//*!*/;\nCOMMIT/*!*/;\n`;
    const filter = new GtidLineFilter();
    const out: Buffer[] = [];
    filter.on('data', (d: Buffer) => out.push(d));
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 65_536) filter.write(bytes.subarray(i, i + 65_536));
    filter.end();
    await new Promise((r) => filter.on('end', r));
    expect(Buffer.concat(out).toString()).toBe(`${big}\nCOMMIT/*!*/;\n`);
  });

  it('chains a new incremental backup to the backup that reaches furthest into the log', () => {
    const full = (id: string, file: string, position: number) =>
      ({
        id,
        type: 'full',
        snapshot: { binlogFile: file, binlogPosition: position, gtid: null },
      }) as Manifest;
    const incr = (id: string, file: string, position: number) =>
      ({
        id,
        type: 'incremental',
        snapshot: {},
        incremental: { end: { file, position, gtid: null } },
      }) as unknown as Manifest;
    // Same second: the incremental lists first, but the full backup was taken after its FLUSH.
    const sameSecond = [incr('incr-1', 'mysql-bin.000005', 900), full('full-1', 'mysql-bin.000006', 342)];
    expect(chooseParent(sameSecond).id).toBe('full-1');
    const ordinary = [incr('incr-2', 'mysql-bin.000009', 500), full('full-0', 'mysql-bin.000006', 342)];
    expect(chooseParent(ordinary).id).toBe('incr-2');
    expect(chooseParent([full('off', '', 0), ordinary[0] as Manifest]).id).toBe('off');
  });

  it('gives the log reader no credentials and renames the database when restoring under another name', () => {
    const args = readerArguments({
      flavor: 'mariadb',
      files: ['/tmp/x/mysql-bin.000001'],
      startPosition: 400,
      stopPosition: 900,
      database: 'app_db',
      targetDatabase: 'app_db_restored',
    });
    expect(args).toEqual([
      '--no-defaults',
      '--skip-gtid-strict-mode',
      '--start-position=400',
      '--stop-position=900',
      '--rewrite-db=app_db->app_db_restored',
      '--database=app_db',
      '/tmp/x/mysql-bin.000001',
    ]);
    expect(args.join(' ')).not.toMatch(/password|user=/);
  });
});
