/**
 * /metrics scrape time: mysqlops' `createMetrics` served over HTTP from this process vs
 * prometheus-mysqld-exporter (Debian's package, default collectors) against the same server, both
 * fetched by the same client in alternating order, many times; medians compared.
 *
 * Ours is what `mysqlops serve` mounts: the server metrics plus ETL/audit state (on a migrated
 * database), backups, DatabaseManager statistics and health checks (served from the last report,
 * refreshed in the background every 15 s). The exporter opens a new connection per scrape and
 * runs its collectors on it; both are measured as a Prometheus server sees them.
 *
 * `npm run bench -- metrics [SCRAPES]` (default 300 of each).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createMetrics, DatabaseManager, loadConfig, migrate } from '../dist/index.js';
import { withBenchSandbox } from './_sandbox.js';

const EXPORTER = '/usr/bin/prometheus-mysqld-exporter';
const WARMUP = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

/** One scrape: milliseconds until the whole body arrived, and its size. */
async function scrape(url: string): Promise<{ ms: number; bytes: number; samples: number }> {
  const started = process.hrtime.bigint();
  const res = await fetch(url);
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  let samples = 0;
  for (const line of body.split('\n')) if (line && !line.startsWith('#')) samples++;
  return { ms, bytes: body.length, samples };
}

async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 20 s`);
}

export default async function bench(args: string[]): Promise<void> {
  const scrapes = Number(args[0] ?? 300);
  if (!existsSync(EXPORTER))
    throw new Error(`${EXPORTER} is missing: apt-get install prometheus-mysqld-exporter`);
  await withBenchSandbox(async (sb) => {
    const config = loadConfig({
      cwd: sb.home,
      environ: {
        MYSQLOPS_ENV: 'test',
        MYSQLOPS_HOME: sb.home,
        MYSQLOPS_SANDBOX: sb.name,
        DB_NAME: 'bench_metrics',
        BACKUP_DIR: path.join(sb.home, 'backups'),
      },
    });
    const admin = new DatabaseManager({
      connection: {},
      usesSandbox: true,
      sandbox: { home: sb.home, name: sb.name },
    });
    await admin.execute('CREATE DATABASE bench_metrics');
    await admin.close();
    await migrate(config);

    const db = new DatabaseManager(config);
    const metrics = createMetrics(db, config);
    const server = http.createServer((_req, res) => {
      metrics.render().then((text) => {
        res.writeHead(200, { 'Content-Type': metrics.contentType });
        res.end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ours = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

    // The exporter reads its credentials from a 0600 option file, never from its command line.
    const cnf = path.join(sb.home, 'exporter.my.cnf');
    writeFileSync(cnf, `[client]\nuser=root\npassword="${sb.password}"\nsocket=${sb.socket}\n`, {
      mode: 0o600,
    });
    const exporterServer = http.createServer();
    await new Promise<void>((r) => exporterServer.listen(0, '127.0.0.1', r));
    const port = (exporterServer.address() as AddressInfo).port;
    await new Promise((r) => exporterServer.close(r));
    const exporter: ChildProcess = spawn(
      EXPORTER,
      [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    const theirs = `http://127.0.0.1:${port}/metrics`;
    try {
      await waitFor(theirs);
      for (let i = 0; i < WARMUP; i++) {
        await scrape(ours);
        await scrape(theirs);
      }
      const times = { ours: [] as number[], theirs: [] as number[] };
      let last = { ours: { bytes: 0, samples: 0 }, theirs: { bytes: 0, samples: 0 } };
      for (let i = 0; i < scrapes; i++) {
        // Alternate who goes first, so drift on a busy machine hits both alike.
        const order = i % 2 ? (['ours', 'theirs'] as const) : (['theirs', 'ours'] as const);
        for (const who of order) {
          const r = await scrape(who === 'ours' ? ours : theirs);
          times[who].push(r.ms);
          last = { ...last, [who]: r };
        }
      }
      const mo = median(times.ours);
      const mt = median(times.theirs);
      console.log(`metrics scrape, ${scrapes} scrapes each, alternating, same server (MariaDB sandbox):`);
      console.log(
        `  mysqlops /metrics:   median ${mo.toFixed(2)} ms, p90 ${percentile(times.ours, 0.9).toFixed(2)} ms, ` +
          `${last.ours.samples} samples, ${(last.ours.bytes / 1024).toFixed(0)} KiB`,
      );
      console.log(
        `  mysqld_exporter:     median ${mt.toFixed(2)} ms, p90 ${percentile(times.theirs, 0.9).toFixed(2)} ms, ` +
          `${last.theirs.samples} samples, ${(last.theirs.bytes / 1024).toFixed(0)} KiB`,
      );
      console.log(
        `ratio: ${(mo / mt).toFixed(3)} (mysqlops / mysqld_exporter, median scrape time; goal <= 1)`,
      );
    } finally {
      exporter.kill();
      await new Promise((r) => server.close(r));
      await db.close();
    }
  });
}
