/**
 * Backups as users meet them through the CLI, and every way a backup can be bad: encrypted
 * backups hide the data, a flipped or truncated byte and a wrong key are caught and named, a
 * non-empty target is refused, a backup without a manifest is never offered as complete.
 */
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteId } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, checksums, dropDatabase, freshName } from './helpers.js';

let src: TestDatabase;
const dir = backupDir('faults');
const keyFile = path.join(dir, 'backup.key');
const otherKey = path.join(dir, 'other.key');
const EMAIL = 'grace.hopper.backup-test@example.com';
const targets: string[] = [];
let env: Record<string, string>;
let encryptedId: string;
let plainId: string;

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(d, e.name)) : [path.join(d, e.name)],
  );
}

function target(): string {
  const name = freshName('bk_fault');
  targets.push(name);
  return name;
}

beforeAll(async () => {
  src = await createTestDatabase('bk_faults');
  await src.db.execute('CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(120) NOT NULL, note TEXT)');
  await src.db.execute(
    `INSERT INTO customers SELECT seq, IF(seq = 7, ?, CONCAT('user', seq, '@example.org')),
            CONCAT(SHA2(seq, 512), SHA2(seq * 3, 512), SHA2(seq * 7, 512), SHA2(seq * 11, 512)) FROM seq_1_to_3000`,
    [EMAIL],
  );
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(otherKey, 'a passphrase that is not the key\n', { mode: 0o600 });
  env = { DB_NAME: src.name, BACKUP_DIR: path.join(dir, 'backups') };
  const enc = await runCliOnSandbox(['backup', 'full', '--json', '--chunk-rows', '1000'], {
    ...env,
    ENCRYPT_BACKUPS: 'true',
    BACKUP_KEY_FILE: keyFile,
  });
  expect(enc.stderr).toBe('');
  expect(enc.code).toBe(0);
  encryptedId = JSON.parse(enc.stdout).id;
  const plain = await runCliOnSandbox(['backup', 'full', '--json', '--compression', 'none'], env);
  expect(plain.code).toBe(0);
  plainId = JSON.parse(plain.stdout).id;
}, 120_000);

afterAll(async () => {
  for (const t of targets) await dropDatabase(t);
  await src?.drop();
});

/** A copy of the encrypted backup whose data file number `n` is passed to `damage`. */
function damagedCopy(label: string, damage: (file: string) => void): { dir: string; file: string } {
  const copy = path.join(dir, 'damaged', label);
  mkdirSync(path.dirname(copy), { recursive: true });
  cpSync(path.join(env.BACKUP_DIR as string, encryptedId), copy, { recursive: true });
  const data = filesUnder(path.join(copy, 'data')).sort();
  const file = data[1] as string;
  damage(file);
  return { dir: copy, file: path.relative(copy, file) };
}

describe('encrypted backups', () => {
  const encEnv = () => ({ ...env, BACKUP_KEY_FILE: keyFile });

  it('leave no customer email in plain text anywhere in the backup folder (a plain one does)', () => {
    const needle = Buffer.from(EMAIL);
    const encFiles = filesUnder(path.join(env.BACKUP_DIR as string, encryptedId));
    expect(encFiles.length).toBeGreaterThan(3);
    for (const f of encFiles) expect(readFileSync(f).includes(needle), f).toBe(false);
    // The control: without encryption and compression the same search finds it.
    const plainFiles = filesUnder(path.join(env.BACKUP_DIR as string, plainId));
    expect(plainFiles.some((f) => readFileSync(f).includes(needle))).toBe(true);
  });

  it('are written 0600', () => {
    for (const f of filesUnder(path.join(env.BACKUP_DIR as string, encryptedId))) {
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
  });

  it('verify clean with the key and restore to an identical table', async () => {
    const v = await runCliOnSandbox(['backup', 'verify', encryptedId, '--json'], encEnv());
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, rows: 3000 });
    const name = target();
    const r = await runCliOnSandbox(['restore', encryptedId, '--target-db', name, '--json'], encEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, rows: 3000 });
    expect(await checksums(src.db, name)).toEqual(await checksums(src.db, src.name));
  });

  it('refuse a wrong key with a clear error and exit 1', async () => {
    const wrong = { ...env, BACKUP_KEY_FILE: otherKey };
    const v = await runCliOnSandbox(['backup', 'verify', encryptedId, '--json'], wrong);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).error.code).toBe('E_BACKUP_KEY');
    expect(v.stderr).toMatch(/wrong backup key/);
    const r = await runCliOnSandbox(['restore', encryptedId, '--target-db', target()], wrong);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wrong backup key/);
  });

  it('need a key file at all', async () => {
    const r = await runCliOnSandbox(['backup', 'verify', encryptedId], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/encrypted and no key file/);
  });
});

describe('damaged backups', () => {
  const encEnv = () => ({ ...env, BACKUP_KEY_FILE: keyFile });

  it.each([
    [
      'a flipped byte',
      (f: string) => {
        const b = readFileSync(f);
        // Near the end: the segments before it decrypt fine and stream into the load first.
        b[b.length - 10] = (b[b.length - 10] as number) ^ 0x20;
        writeFileSync(f, b);
      },
    ],
    ['a truncated file', (f: string) => truncateSync(f, statSync(f).size - 7)],
  ])('with %s fail verify and restore, naming the file', async (label, damage) => {
    const copy = damagedCopy(label.replace(/\W/g, '_'), damage);
    const v = await runCliOnSandbox(['backup', 'verify', copy.dir, '--json'], encEnv());
    expect(v.code).toBe(1);
    const doc = JSON.parse(v.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.problems.map((p: { file: string }) => p.file)).toEqual([copy.file]);
    const name = target();
    const r = await runCliOnSandbox(['restore', copy.dir, '--target-db', name, '--json'], encEnv());
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E_BACKUP_CORRUPT');
    expect(r.stderr).toContain(copy.file);
    // Nothing of the damaged chunk (ids 1001-2000) is in the target.
    expect(copy.file).toMatch(/customers\.00001\./);
    const [loaded] = await src.db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteId(name)}.customers WHERE id BETWEEN 1001 AND 2000`,
    );
    expect(Number(loaded?.n)).toBe(0);
  });

  it('an encrypted backup whose manifest was edited is refused', async () => {
    const copy = damagedCopy('manifest_edit', () => {});
    const file = path.join(copy.dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    // Leave a data file out, as if it had never been written.
    manifest.files.pop();
    manifest.tables[0].chunks.pop();
    writeFileSync(file, JSON.stringify(manifest));
    const v = await runCliOnSandbox(['backup', 'verify', copy.dir, '--json'], encEnv());
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).error).toMatchObject({ code: 'E_BACKUP_CORRUPT' });
    expect(v.stderr).toMatch(/manifest is damaged: it was changed/);
  });

  it('a backup without a manifest is listed as incomplete and never restored', async () => {
    const partial = path.join(env.BACKUP_DIR as string, 'full-20200101T000000Z-dead');
    cpSync(path.join(env.BACKUP_DIR as string, plainId), partial, { recursive: true });
    // What a backup killed before its last step leaves: data files, no manifest.
    rmSync(path.join(partial, 'manifest.json'));
    const list = await runCliOnSandbox(['backup', 'list', '--json'], env);
    expect(list.code).toBe(0);
    const entries = JSON.parse(list.stdout).backups as Array<{ id: string; complete: boolean }>;
    expect(entries.find((e) => e.id === 'full-20200101T000000Z-dead')?.complete).toBe(false);
    const complete = entries.filter((e) => e.complete).map((e) => e.id);
    expect(complete).toEqual(expect.arrayContaining([encryptedId, plainId]));
    expect(complete).not.toContain('full-20200101T000000Z-dead');
    const r = await runCliOnSandbox(
      ['restore', 'full-20200101T000000Z-dead', '--target-db', target(), '--json'],
      env,
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E_BACKUP_INCOMPLETE');
  });
});

describe('verification', () => {
  it('verify --restore-test restores into a scratch database, checks row counts and drops it', async () => {
    const v = await runCliOnSandbox(['backup', 'verify', plainId, '--restore-test', '--json'], env);
    expect(v.code).toBe(0);
    const doc = JSON.parse(v.stdout);
    expect(doc).toMatchObject({ ok: true, restoreTest: { ok: true, rows: 3000, problems: [] } });
    const left = await src.db.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      doc.restoreTest.database,
    ]);
    expect(left).toEqual([]);
    const list = await runCliOnSandbox(['backup', 'list', '--json'], env);
    const entry = JSON.parse(list.stdout).backups.find((b: { id: string }) => b.id === plainId);
    expect(entry).toMatchObject({ complete: true, restoreTested: true });
    expect(entry.verifiedAt).toMatch(/^\d{4}-/);
  });

  it('backup prune --dry-run keeps everything younger than the retention period', async () => {
    const r = await runCliOnSandbox(['backup', 'prune', '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, deleted: [], dryRun: true });
  });

  it('backup full --verify checks the backup it just took', async () => {
    const r = await runCliOnSandbox(['backup', 'full', '--verify', '--json', '--compression', 'gzip'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, verify: { ok: true }, restoreTest: { ok: true, rows: 3000 } });
  });
});

describe('restore targets', () => {
  it('refuses to restore into a non-empty database, and --force replaces the objects', async () => {
    const r = await runCliOnSandbox(['restore', plainId, '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E_RESTORE_TARGET');
    expect(r.stderr).toMatch(/not empty/);

    const name = target();
    await src.db.execute(`CREATE DATABASE ${quoteId(name)}`);
    await src.db.execute(`CREATE TABLE ${quoteId(name)}.customers (id INT PRIMARY KEY)`);
    await src.db.execute(`INSERT INTO ${quoteId(name)}.customers VALUES (424242)`);
    const refused = await runCliOnSandbox(['restore', plainId, '--target-db', name], env);
    expect(refused.code).toBe(1);
    const forced = await runCliOnSandbox(['restore', plainId, '--target-db', name, '--force', '--json'], env);
    expect(forced.code).toBe(0);
    expect(await checksums(src.db, name)).toEqual(await checksums(src.db, src.name));
  });

  it('rejects bad flags as usage errors (exit 2)', async () => {
    const r = await runCliOnSandbox(['backup', 'full', '--threads', '0'], env);
    expect(r.code).toBe(2);
    const c = await runCliOnSandbox(['backup', 'full', '--compression', 'lz4'], env);
    expect(c.code).toBe(2);
  });
});
