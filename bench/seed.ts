/**
 * Seeding speed: `seed()` (generation + LOAD DATA LOCAL, parallel loads) against restoring the very
 * same rows from the standard dump (`mariadb-dump --no-create-info --extended-insert`, multi-row
 * INSERTs) with the `mariadb` client, on one throwaway sandbox.
 *
 * Ours runs in a child process (the compiled library, as applications run it) so its peak RSS is
 * the seeder's own. The dump is taken from the seeded database (not timed) and restored into a
 * second database migrated the same way (timed). Credentials reach the client tools through a 0600
 * --defaults-extra-file, never the command line.
 *
 * `npm run bench -- seed [--customers N] [--orders N] [--products N]` (default 100,000 / 300,000 / 2,000).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseManager, migrate, SEED_TABLES } from '../dist/index.js';
import { withBenchSandbox } from './_sandbox.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface OursResult {
  ms: number;
  wallMs: number;
  maxRssMb: number;
  rows: Record<string, number>;
  totalRows: number;
}

function sizesFrom(args: string[]): { customers: number; orders: number; products: number } {
  const sizes = { customers: 100_000, orders: 300_000, products: 2_000 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof typeof sizes;
    if (!(key in sizes) || !/^\d+$/.test(args[i + 1] ?? '')) throw new Error(`unknown argument ${args[i]}`);
    sizes[key] = Number(args[i + 1]);
  }
  return sizes;
}

export default async function bench(args: string[]): Promise<void> {
  const sizes = sizesFrom(args);
  const work = mkdtempSync(path.join(tmpdir(), 'mysqlops-bench-seed-'));
  try {
    await withBenchSandbox(async (sb) => {
      const base = { connection: {}, usesSandbox: true, sandbox: { home: sb.home, name: sb.name } };
      await migrate({ ...base, connection: { database: 'bench_seed' } });
      await migrate({ ...base, connection: { database: 'bench_ref' } });
      const settings = await serverSettings(base);

      const ours = runOurs(sb.home, sb.name, sizes);

      const credentials = path.join(work, 'client.cnf');
      writeFileSync(credentials, `[client]\nuser=root\npassword="${sb.password}"\nsocket=${sb.socket}\n`, {
        mode: 0o600,
      });
      const dump = path.join(work, 'dump.sql');
      const dumpFd = openSync(dump, 'w', 0o600);
      const dumped = spawnSync(
        'mariadb-dump',
        [
          `--defaults-extra-file=${credentials}`,
          '--no-create-info',
          '--extended-insert',
          'bench_seed',
          ...SEED_TABLES,
        ],
        { stdio: ['ignore', dumpFd, 'pipe'], encoding: 'utf8' },
      );
      closeSync(dumpFd);
      if (dumped.status !== 0) throw new Error(`mariadb-dump failed: ${dumped.stderr}`);
      const dumpMb = statSync(dump).size / 1024 / 1024;

      const refMs = await timeRestore(credentials, dump, 'bench_ref');
      const refRows = await rowCounts(base, 'bench_ref');
      const same = SEED_TABLES.every((t) => refRows[t] === ours.rows[t]);
      if (!same)
        throw new Error(`the restored database differs: ${JSON.stringify({ ours: ours.rows, refRows })}`);

      const n = (x: number) => Math.round(x).toLocaleString('en-US');
      const oursS = ours.ms / 1000;
      const refS = refMs / 1000;
      console.log(
        `seed: ${n(sizes.customers)} customers, ${n(sizes.orders)} orders, ${n(sizes.products)} products -> ${n(ours.totalRows)} rows in 8 tables`,
      );
      console.log(`  server: ${settings}`);
      for (const t of SEED_TABLES)
        console.log(`    ${t.padEnd(20)} ${n(ours.rows[t] ?? 0).padStart(10)} rows`);
      console.log(
        `  ours: seed() generate + LOAD DATA LOCAL: ${oursS.toFixed(1)} s (process ${(ours.wallMs / 1000).toFixed(1)} s), ` +
          `${n(ours.totalRows / oursS)} rows/s, peak RSS ${ours.maxRssMb.toFixed(0)} MB (goals: <= 90 s, < 300 MB)`,
      );
      console.log(
        `  reference: mariadb < mariadb-dump --no-create-info --extended-insert (${dumpMb.toFixed(0)} MB): ` +
          `${refS.toFixed(1)} s, ${n(ours.totalRows / refS)} rows/s`,
      );
      console.log('  both databases hold the same row counts in every table');
      console.log(
        `ratio: ${(refS / oursS).toFixed(3)} (reference seconds / seed() seconds; >= 1 means seed() is at least as fast)`,
      );
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** seed() in a fresh node process running the compiled library; its timing and peak RSS. */
function runOurs(home: string, name: string, sizes: Record<string, number>): OursResult {
  const script = `
    import { seed } from ${JSON.stringify(path.join(root, 'dist/index.js'))};
    const config = { connection: { database: 'bench_seed' }, usesSandbox: true, sandbox: { home: ${JSON.stringify(home)}, name: ${JSON.stringify(name)} } };
    const r = await seed(config, ${JSON.stringify(sizes)});
    process.stdout.write(JSON.stringify({ ms: r.ms, rows: r.rows, totalRows: r.totalRows, maxRssKb: process.resourceUsage().maxRSS }));
  `;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`seed() child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as {
    ms: number;
    rows: Record<string, number>;
    totalRows: number;
    maxRssKb: number;
  };
  return { ms: out.ms, wallMs, maxRssMb: out.maxRssKb / 1024, rows: out.rows, totalRows: out.totalRows };
}

function timeRestore(credentials: string, dump: string, database: string): Promise<number> {
  const input = openSync(dump, 'r');
  const started = performance.now();
  const child = spawn('mariadb', [`--defaults-extra-file=${credentials}`, database], {
    stdio: [input, 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      closeSync(input);
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`mariadb restore failed (${code}): ${stderr}`));
    }),
  );
}

type Base = { connection: object; usesSandbox: boolean; sandbox: { home: string; name: string } };

async function rowCounts(base: Base, database: string): Promise<Record<string, number>> {
  const db = new DatabaseManager({ ...base, connection: { database } });
  try {
    const out: Record<string, number> = {};
    for (const t of SEED_TABLES) {
      const [row] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`);
      out[t] = Number(row?.n);
    }
    return out;
  } finally {
    await db.close();
  }
}

async function serverSettings(base: Base): Promise<string> {
  const db = new DatabaseManager(base);
  try {
    const [s] = await db.query<Record<string, string | number>>(
      `SELECT @@version AS version, @@innodb_buffer_pool_size DIV 1048576 AS pool, @@innodb_log_file_size DIV 1048576 AS redo,
              @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS sync_binlog, @@binlog_format AS binlog`,
    );
    return `MariaDB ${s?.version}, buffer pool ${s?.pool} MB, redo log ${s?.redo} MB, innodb_flush_log_at_trx_commit=${s?.flush}, sync_binlog=${s?.sync_binlog}, binlog ${s?.binlog}`;
  } finally {
    await db.close();
  }
}
