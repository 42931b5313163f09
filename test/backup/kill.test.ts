/**
 * `kill -9` of a running backup: what it leaves behind is never listed as a complete backup, and
 * restore refuses it. The manifest is written last, so this holds at any instant of the kill.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliOnSandbox, sandboxEnv } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir } from './helpers.js';

let src: TestDatabase;
const dir = path.join(backupDir('kill'), 'backups');

beforeAll(async () => {
  src = await createTestDatabase('bk_kill');
  await src.db.execute('CREATE TABLE filler (id INT PRIMARY KEY, pad VARCHAR(200) NOT NULL)');
  await src.db.execute("INSERT INTO filler SELECT seq, REPEAT(CONCAT('row', seq), 10) FROM seq_1_to_100000");
  await src.db.execute('ANALYZE TABLE filler');
});

afterAll(async () => {
  await src?.drop();
});

/** This process's environment without settings that would point the CLI elsewhere. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && !/^(DB_|MYSQLOPS_|BACKUP_|ENCRYPT_BACKUPS$)/.test(e[0]),
    ),
  );
}

function partialFiles(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.partial'));
}

describe('a backup killed with SIGKILL', () => {
  it('leaves nothing that backup list calls complete', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'src/cli/bin.ts'),
        'backup',
        'full',
        '--chunk-rows',
        '1000',
        '--threads',
        '2',
      ],
      {
        cwd: repoRoot,
        env: { ...cleanEnv(), ...sandboxEnv(), DB_NAME: src.name, BACKUP_DIR: dir },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill it in the middle of writing data files.
    const deadline = Date.now() + 30_000;
    while (partialFiles(dir).length === 0 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(child.exitCode).toBeNull();
    child.kill('SIGKILL');
    await exited;

    const list = await runCliOnSandbox(['backup', 'list', '--json'], { DB_NAME: src.name, BACKUP_DIR: dir });
    expect(list.code).toBe(0);
    const backups = JSON.parse(list.stdout).backups as Array<{ id: string; complete: boolean }>;
    expect(backups.length).toBe(1);
    expect(backups[0]?.complete).toBe(false);
    const r = await runCliOnSandbox(
      ['restore', backups[0]?.id as string, '--target-db', 'never_created_db', '--json'],
      {
        DB_NAME: src.name,
        BACKUP_DIR: dir,
      },
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E_BACKUP_INCOMPLETE');
  });
});
