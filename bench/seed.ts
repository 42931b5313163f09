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
 * Rounds alternate which side goes first (drift on a noisy machine hits both alike); between rounds
 * both databases are dropped and migrated again (not timed). After the last round the two databases
 * must hold identical contents (CHECKSUM TABLE of every table), or the run fails.
 *
 * `npm run bench -- seed [--customers N] [--orders N] [--products N] [--rounds N]`
 * (default 100,000 / 300,000 / 2,000, 2 rounds). The ratio compares the summed times.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseManager, migrate, SEED_TABLES } from '../dist/index.js';
import { checksums } from './_db.js';
import { withBenchSandbox } from './_sandbox.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface OursResult {
  ms: number;
  wallMs: number;
  maxRssMb: number;
  rows: Record<string, number>;
  totalRows: number;
}

function sizesFrom(args: string[]): { customers: number; orders: number; products: number; rounds: number } {
  const sizes = { customers: 100_000, orders: 300_000, products: 2_000, rounds: 2 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof typeof sizes;
    if (!(key in sizes) || !/^\d+$/.test(args[i + 1] ?? '')) throw new Error(`unknown argument ${args[i]}`);
    sizes[key] = Number(args[i + 1]);
  }
  return sizes;
}

export default async function bench(args: string[]): Promise<void> {
  const { rounds, ...sizes } = sizesFrom(args);
  const work = mkdtempSync(path.join(tmpdir(), 'mysqlops-bench-seed-'));
  try {
    await withBenchSandbox(async (sb) => {
      const base = { connection: {}, usesSandbox: true, sandbox: { home: sb.home, name: sb.name } };
      const settings = await serverSettings(base);
      const credentials = path.join(work, 'client.cnf');
      writeFileSync(credentials, `[client]\nuser=root\npassword="${sb.password}"\nsocket=${sb.socket}\n`, {
        mode: 0o600,
      });
      const dump = path.join(work, 'dump.sql');
      let dumpMb = 0;
      let ours: OursResult | undefined;
      const oursMs: number[] = [];
      const refMs: number[] = [];
      const runOursSide = async () => {
        await recreate(base, 'bench_seed');
        ours = runOurs(sb.home, sb.name, sizes);
        oursMs.push(ours.ms);
        console.error(`… seed() ${(ours.ms / 1000).toFixed(1)} s`);
        if (dumpMb === 0) dumpMb = dumpSeeded(credentials, dump);
      };
      const runRefSide = async () => {
        await recreate(base, 'bench_ref');
        const ms = await timeRestore(credentials, dump, 'bench_ref');
        refMs.push(ms);
        console.error(`… mariadb < dump ${(ms / 1000).toFixed(1)} s`);
      };
      for (let r = 0; r < rounds; r++) {
        // The dump comes from the first seeded database, so round 1 starts with ours.
        if (r % 2 === 0) {
          await runOursSide();
          await runRefSide();
        } else {
          await runRefSide();
          await runOursSide();
        }
      }
      if (!ours) throw new Error('no round ran');
      const sums = await Promise.all([checksums(base, 'bench_seed'), checksums(base, 'bench_ref')]);
      const differing = SEED_TABLES.filter((t) => sums[0][t] !== sums[1][t]);
      if (differing.length > 0) throw new Error(`the restored database differs in ${differing.join(', ')}`);

      const n = (x: number) => Math.round(x).toLocaleString('en-US');
      const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const oursS = total(oursMs) / 1000;
      const refS = total(refMs) / 1000;
      const each = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(' + ');
      console.log(
        `seed: ${n(sizes.customers)} customers, ${n(sizes.orders)} orders, ${n(sizes.products)} products -> ${n(ours.totalRows)} rows in 8 tables, ${rounds} round(s)`,
      );
      console.log(`  server: ${settings}`);
      for (const t of SEED_TABLES)
        console.log(`    ${t.padEnd(20)} ${n(ours.rows[t] ?? 0).padStart(10)} rows`);
      console.log(
        `  ours: seed() generate + LOAD DATA LOCAL: ${each(oursMs)} s, ` +
          `${n((ours.totalRows * rounds) / oursS)} rows/s, peak RSS ${ours.maxRssMb.toFixed(0)} MB (goals: <= 90 s, < 300 MB)`,
      );
      console.log(
        `  reference: mariadb < mariadb-dump --no-create-info --extended-insert (${dumpMb.toFixed(0)} MB): ` +
          `${each(refMs)} s, ${n((ours.totalRows * rounds) / refS)} rows/s`,
      );
      console.log('  both databases hold identical contents (CHECKSUM TABLE of every table)');
      console.log(
        `ratio: ${(refS / oursS).toFixed(3)} (reference seconds / seed() seconds; >= 1 means seed() is at least as fast)`,
      );
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The seeded tables as multi-row INSERTs (not timed); the dump's size in MB. */
function dumpSeeded(credentials: string, dump: string): number {
  const dumpFd = openSync(dump, 'w', 0o600);
  const dumped = spawnSync(
    'mariadb-dump',
    [
      `--defaults-extra-file=${credentials}`,
      '--no-create-info',
      // The target is migrated like ours: its triggers exist already and fire for both sides.
      '--skip-triggers',
      '--extended-insert',
      'bench_seed',
      ...SEED_TABLES,
    ],
    { stdio: ['ignore', dumpFd, 'pipe'], encoding: 'utf8' },
  );
  closeSync(dumpFd);
  if (dumped.status !== 0) throw new Error(`mariadb-dump failed: ${dumped.stderr}`);
  return statSync(dump).size / 1024 / 1024;
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

/** Drop and migrate `database` again: an empty shop for the next side (not timed). */
async function recreate(base: Base, database: string): Promise<void> {
  const db = new DatabaseManager(base);
  try {
    await db.execute(`DROP DATABASE IF EXISTS ${database}`);
  } finally {
    await db.close();
  }
  await migrate({ ...base, connection: { database } });
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
