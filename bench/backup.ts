/**
 * Backup and restore speed: `mysqlops backup full` / `restore` (the compiled library, each in its own
 * node process so its peak RSS is its own) against `mariadb-dump --single-transaction | gzip` with
 * `gunzip | mariadb`, and against mydumper / myloader with the same thread count, on one throwaway
 * sandbox holding the seeded shop (default: 100,000 customers, 300,000 orders, ~1,000,000 order
 * items). Compression class: zstd -3 (ours) vs gzip -6 (mariadb-dump | gzip, mydumper -c).
 * The sandbox logs every commit (log_bin, ROW, sync_binlog=1, innodb_flush_log_at_trx_commit=1,
 * 128 MB buffer pool). Our restore and myloader skip the binary log by default (sql_log_bin=0), so
 * each runs twice: as it comes and logged (`binlog: true`, myloader -e); `mariadb < dump` writes
 * the binary log as the server is configured, as users run it.
 * Credentials reach the client tools through a 0600 defaults file, never the command line.
 *
 * After the restores every table of every restored copy must have the source's CHECKSUM TABLE,
 * or the run fails.
 *
 * `npm run bench -- backup [--customers N] [--orders N] [--products N] [--threads N]`
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseManager, migrate, SEED_TABLES, seed } from '../dist/index.js';
import { checksums } from './_db.js';
import { withBenchSandbox } from './_sandbox.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Sizes {
  customers: number;
  orders: number;
  products: number;
  threads: number;
}

function sizesFrom(args: string[]): Sizes {
  const sizes: Sizes = { customers: 100_000, orders: 300_000, products: 2_000, threads: 4 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') as keyof Sizes;
    if (!(key in sizes) || !/^\d+$/.test(args[i + 1] ?? '')) throw new Error(`unknown argument ${args[i]}`);
    sizes[key] = Number(args[i + 1]);
  }
  return sizes;
}

interface Timed {
  ms: number;
  maxRssMb?: number;
}

type Base = { connection: object; usesSandbox: boolean; sandbox: { home: string; name: string } };

export default async function bench(args: string[]): Promise<void> {
  const sizes = sizesFrom(args);
  const work = mkdtempSync(path.join(tmpdir(), 'mysqlops-bench-backup-'));
  try {
    await withBenchSandbox(async (sb) => {
      const base: Base = { connection: {}, usesSandbox: true, sandbox: { home: sb.home, name: sb.name } };
      const credentials = path.join(work, 'client.cnf');
      writeFileSync(credentials, `[client]\nuser=root\npassword="${sb.password}"\nsocket=${sb.socket}\n`, {
        mode: 0o600,
      });
      await migrate({ ...base, connection: { database: 'bench_src' } });
      console.error('… seeding (not timed)');
      const seeded = await seed({ ...base, connection: { database: 'bench_src' } }, sizes);
      console.error(`… ${seeded.totalRows.toLocaleString('en-US')} rows`);

      // Two rounds in opposite orders (ours first, then ours last), means reported: the server is
      // still purging and flushing after the seed, and whichever tool runs first would pay for it.
      const backupDir = path.join(work, 'ours');
      const dumpFile = path.join(work, 'dump.sql.gz');
      const myDir = path.join(work, 'mydumper');
      const runBackups = async (round: number) => {
        const suffix = round === 1 ? '' : `-${round}`;
        const oursRun = async () => {
          const t = runOurs('backup', sb, `${backupDir}${suffix}`, sizes.threads);
          console.error(`… round ${round}: mysqlops backup full ${(t.ms / 1000).toFixed(1)} s`);
          return t;
        };
        const dumpRun = async () => {
          const t = await timeShell(
            `mariadb-dump --defaults-extra-file="$CNF" --single-transaction --routines --triggers --events bench_src | gzip -6 > "$OUT"`,
            { CNF: credentials, OUT: `${dumpFile}${suffix}` },
          );
          console.error(`… round ${round}: mariadb-dump | gzip ${(t.ms / 1000).toFixed(1)} s`);
          return t;
        };
        const mydumperRun = async () => {
          mkdirSync(`${myDir}${suffix}`);
          const t = await timeShell(
            `mydumper --defaults-file="$CNF" -B bench_src -t ${sizes.threads} -r 200000 -c -G -E -R --trx-consistency-only -o "$OUT"`,
            { CNF: credentials, OUT: `${myDir}${suffix}` },
          );
          console.error(`… round ${round}: mydumper ${(t.ms / 1000).toFixed(1)} s`);
          return t;
        };
        if (round === 1) {
          const o = await oursRun();
          const d = await dumpRun();
          const m = await mydumperRun();
          return { o, d, m };
        }
        const m = await mydumperRun();
        const d = await dumpRun();
        const o = await oursRun();
        return { o, d, m };
      };
      const first = await runBackups(1);
      const second = await runBackups(2);
      const mean = (a: Timed, b: Timed): Timed => ({
        ms: (a.ms + b.ms) / 2,
        ...(a.maxRssMb !== undefined || b.maxRssMb !== undefined
          ? { maxRssMb: Math.max(a.maxRssMb ?? 0, b.maxRssMb ?? 0) }
          : {}),
      });
      const ours = mean(first.o, second.o);
      const dump = mean(first.d, second.d);
      const mydumper = mean(first.m, second.m);

      const loadBefore = loadavg()[0] ?? 0;
      const oursRestore = runOurs('restore', sb, backupDir, sizes.threads);
      console.error(`… mysqlops restore ${(oursRestore.ms / 1000).toFixed(1)} s`);
      const oursLogged = runOurs('restore-binlog', sb, backupDir, sizes.threads);
      console.error(`… mysqlops restore --binlog ${(oursLogged.ms / 1000).toFixed(1)} s`);
      await createDatabase(base, 'bench_dump');
      const dumpRestore = await timeShell(
        `gunzip -c "$IN" | mariadb --defaults-extra-file="$CNF" bench_dump`,
        {
          CNF: credentials,
          IN: dumpFile,
        },
      );
      console.error(`… gunzip | mariadb ${(dumpRestore.ms / 1000).toFixed(1)} s`);
      const myloader = await timeShell(
        `myloader --defaults-file="$CNF" -d "$IN" -s bench_src -B bench_myloader -t ${sizes.threads}`,
        { CNF: credentials, IN: myDir },
      );
      console.error(`… myloader ${(myloader.ms / 1000).toFixed(1)} s`);
      const myloaderLogged = await timeShell(
        `myloader --defaults-file="$CNF" -d "$IN" -s bench_src -B bench_myloader_e -t ${sizes.threads} -e`,
        { CNF: credentials, IN: myDir },
      );
      console.error(`… myloader -e ${(myloaderLogged.ms / 1000).toFixed(1)} s`);
      const loadAfter = loadavg()[0] ?? 0;

      const source = await checksums(base, 'bench_src');
      for (const copy of [
        'bench_ours',
        'bench_ours_binlog',
        'bench_dump',
        'bench_myloader',
        'bench_myloader_e',
      ]) {
        const sums = await checksums(base, copy);
        const differing = SEED_TABLES.filter((t) => sums[t] !== source[t]);
        if (differing.length > 0)
          throw new Error(`${copy} differs from the source in ${differing.join(', ')}`);
      }
      const du = (d: string) => spawnSync('du', ['-sm', d], { encoding: 'utf8' }).stdout.split('\t')[0];
      const s = (t: Timed) => `${(t.ms / 1000).toFixed(1)} s`;
      const r = (a: Timed, b: Timed) => (a.ms / b.ms).toFixed(3);
      const n = (x: number) => x.toLocaleString('en-US');
      console.log(
        `backup: ${n(seeded.totalRows)} rows (${n(seeded.rows.order_items)} order items), ${sizes.threads} threads; backups: mean of 2 rounds in opposite orders, restores: one run`,
      );
      console.log(
        `  ours backup full (zstd): ${s(ours)}, ${du(backupDir)} MB, peak RSS ${ours.maxRssMb?.toFixed(0)} MB (goal <= 256 MB)`,
      );
      console.log(`  mariadb-dump --single-transaction | gzip: ${s(dump)}, ${du(dumpFile)} MB`);
      console.log(`  mydumper -t ${sizes.threads} -c: ${s(mydumper)}, ${du(myDir)} MB`);
      console.log(
        `  ours restore (binary log skipped): ${s(oursRestore)}, peak RSS ${oursRestore.maxRssMb?.toFixed(0)} MB (goal <= 256 MB)`,
      );
      console.log(
        `  ours restore --binlog: ${s(oursLogged)}, peak RSS ${oursLogged.maxRssMb?.toFixed(0)} MB`,
      );
      console.log(`  gunzip | mariadb (binary log written): ${s(dumpRestore)}`);
      console.log(`  myloader -t ${sizes.threads} (binary log skipped): ${s(myloader)}`);
      console.log(`  myloader -t ${sizes.threads} -e: ${s(myloaderLogged)}`);
      console.log(
        `  load average (1 min) before the restores ${loadBefore.toFixed(1)}, after ${loadAfter.toFixed(1)}`,
      );
      console.log('  every restored copy has the source CHECKSUM TABLE for every table');
      console.log(`  backup  ours / mariadb-dump|gzip: ${r(ours, dump)} (goal <= 0.5)`);
      console.log(`  backup  ours / mydumper:          ${r(ours, mydumper)} (goal <= 1.0)`);
      console.log(`  restore ours / mariadb < dump:    ${r(oursRestore, dumpRestore)} (goal <= 0.33)`);
      console.log(`  restore ours / myloader:          ${r(oursRestore, myloader)} (goal <= 1.0)`);
      console.log(`  restore ours --binlog / mariadb < dump: ${r(oursLogged, dumpRestore)}`);
      console.log(`  restore ours --binlog / myloader -e:    ${r(oursLogged, myloaderLogged)}`);
      console.log(
        `ratio: ${r(ours, mydumper)} (our full backup seconds / mydumper seconds, same threads; <= 1 means ours is at least as fast)`,
      );
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Our backup or restore in a fresh node process running the compiled library. */
function runOurs(
  what: 'backup' | 'restore' | 'restore-binlog',
  sb: { home: string; name: string },
  dir: string,
  threads: number,
): Timed {
  const restoreOptions =
    what === 'restore-binlog'
      ? "{ targetDb: 'bench_ours_binlog', binlog: true }"
      : "{ targetDb: 'bench_ours' }";
  const call =
    what === 'backup'
      ? `await lib.backupFull(config, settings, {})`
      : `await lib.restore(config, settings, (await lib.listBackups(settings))[0].id, ${restoreOptions})`;
  const script = `
    const lib = await import(${JSON.stringify(path.join(root, 'dist/index.js'))});
    const config = { connection: { database: 'bench_src' }, usesSandbox: true, sandbox: { home: ${JSON.stringify(sb.home)}, name: ${JSON.stringify(sb.name)} } };
    const settings = { dir: ${JSON.stringify(dir)}, retentionDays: 7, encrypt: false, compression: 'zstd', threads: ${threads} };
    const started = performance.now();
    ${call};
    process.stdout.write(JSON.stringify({ ms: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`our ${what} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ms: number; maxRssKb: number };
  return { ms: out.ms, maxRssMb: out.maxRssKb / 1024 };
}

/** A shell pipeline, timed; values reach it through the environment, not the command text. */
function timeShell(command: string, env: Record<string, string>): Promise<Timed> {
  const started = performance.now();
  const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code === 0) resolve({ ms: performance.now() - started });
      else reject(new Error(`${command.split(' ')[0]} failed (${code}): ${stderr}`));
    }),
  );
}

async function createDatabase(base: Base, database: string): Promise<void> {
  const db = new DatabaseManager(base);
  try {
    await db.execute(`CREATE DATABASE ${database}`);
  } finally {
    await db.close();
  }
}
