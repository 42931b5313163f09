/**
 * Dashboard test helpers: a migrated, seeded database with the reports built and one verified
 * backup (so every panel has real data), a config pointing at that backup directory, and a small
 * HTTP client that keeps every response so tests can check no secret ever left the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backupFull, recordVerification } from '../../src/backup/index.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { runEtl } from '../../src/etl/index.js';
import { seed } from '../../src/seed/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

export interface DashboardFixture {
  t: TestDatabase;
  config: MysqlopsConfig;
  backupId: string;
  cleanup(): Promise<void>;
}

export async function dashboardFixture(label: string): Promise<DashboardFixture> {
  const t = await createMigratedDatabase(label);
  const home = mkdtempSync(path.join(tmpdir(), `mysqlops-dashboard-${label}-`));
  try {
    await seed(t.config(), { customers: 120, orders: 500, products: 20, seed: 7 });
    await runEtl(t.config(), { full: true });
    const config = loadConfig({
      cwd: home,
      env: 'test',
      environ: { BACKUP_DIR: path.join(home, 'backups'), DB_NAME: t.name },
    });
    const backup = await backupFull(
      t.config(),
      { dir: path.join(home, 'backups'), retentionDays: 7, encrypt: false, compression: 'none', threads: 2 },
      { databases: [t.name] },
    );
    await recordVerification(backup.dir, false);
    return {
      t,
      config,
      backupId: backup.id,
      cleanup: async () => {
        await t.drop();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await t.drop();
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

export interface Seen {
  status: number;
  headers: Headers;
  text: string;
}

/** fetch, remembering every response (status, headers, body) in `seen`. */
export function recordingFetch(seen: Seen[]) {
  return async (url: string, init: RequestInit = {}): Promise<Seen> => {
    const res = await fetch(url, { redirect: 'manual', ...init });
    const r = { status: res.status, headers: res.headers, text: await res.text() };
    seen.push(r);
    return r;
  };
}

/** Every header line and body of `seen`, for searching. */
export function everything(seen: readonly Seen[]): string {
  return seen
    .map(
      (r) => `${r.status}\n${[...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${r.text}`,
    )
    .join('\n');
}

// Captured at load, before any test fakes timers: polling must run on the real clock.
const realSetTimeout = globalThis.setTimeout;

/** Poll `probe` until it returns a value other than undefined, or fail after `ms` (real time). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => realSetTimeout(r, 50));
  }
}
