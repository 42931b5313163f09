/**
 * Connection manager overhead: point selects by primary key from 16 concurrent callers, through
 * DatabaseManager (query monitoring on) and through a raw mysql2 pool of the same size, on the same
 * server, in alternating rounds so that drift on a noisy machine hits both alike. Also measures the
 * resident memory of a process holding 10 idle pooled connections.
 *
 * Reference: mysql2's own pool (the driver DatabaseManager builds on), text and binary protocol.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2';
import { DatabaseManager } from '../dist/index.js';
import { withBenchSandbox } from './_sandbox.js';

const CALLERS = 16;
const QUERIES_PER_ROUND = 20_000;
const ROUNDS = 5;
const ROWS = 10_000;
const SQL = 'SELECT id, name, price FROM items WHERE id = ?';

type Runner = (id: number) => Promise<unknown>;

async function round(run: Runner): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < QUERIES_PER_ROUND) {
        next++;
        await run(1 + Math.floor(Math.random() * ROWS));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return QUERIES_PER_ROUND / seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export default async function bench(): Promise<void> {
  await withBenchSandbox(async (sb) => {
    const connection = { socketPath: sb.socket, user: 'root', password: sb.password, database: 'bench_conn' };
    const setup = new DatabaseManager({
      connection: {},
      usesSandbox: true,
      sandbox: { home: sb.home, name: sb.name },
    });
    await setup.execute('CREATE DATABASE bench_conn');
    await setup.execute(
      'CREATE TABLE bench_conn.items (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price DECIMAL(10,2) NOT NULL)',
    );
    await setup.execute(
      `INSERT INTO bench_conn.items SELECT seq, CONCAT('item-', seq), seq / 100 FROM bench_conn.seq_1_to_${ROWS}`,
    );
    await setup.close();

    const raw = mysql.createPool({ ...connection, connectionLimit: CALLERS, maxIdle: CALLERS });
    const rawQuery: Runner = (id) =>
      new Promise((resolve, reject) =>
        raw.query(SQL, [id], (err, rows) => (err ? reject(err) : resolve(rows))),
      );
    const rawExecute: Runner = (id) =>
      new Promise((resolve, reject) =>
        raw.execute(SQL, [id], (err, rows) => (err ? reject(err) : resolve(rows))),
      );
    const ours = new DatabaseManager({
      connection: { database: 'bench_conn' },
      usesSandbox: true,
      sandbox: { home: sb.home, name: sb.name },
      pool: { size: CALLERS },
      monitoring: { enabled: true, slowQueryMs: 1000 },
    });
    await ours.initialize();
    const oursQuery: Runner = (id) => ours.query(SQL, [id]);
    const oursExecute: Runner = (id) => ours.query(SQL, [id], { prepare: true });

    // Warm-up: fill both pools, JIT both paths.
    await round(rawQuery);
    await round(oursQuery);
    await round(rawExecute);
    await round(oursExecute);

    const results = {
      rawQuery: [] as number[],
      oursQuery: [] as number[],
      rawExecute: [] as number[],
      oursExecute: [] as number[],
    };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order so neither side always runs first.
      const order: Array<keyof typeof results> =
        i % 2 === 0
          ? ['rawQuery', 'oursQuery', 'rawExecute', 'oursExecute']
          : ['oursQuery', 'rawQuery', 'oursExecute', 'rawExecute'];
      for (const k of order) {
        const run = { rawQuery, oursQuery, rawExecute, oursExecute }[k];
        results[k].push(await round(run));
      }
    }
    const calls = ours.queryStats(1)[0]?.calls ?? 0;
    await ours.close();
    await new Promise<void>((r) => raw.end(() => r()));

    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<
      keyof typeof results,
      number
    >;
    console.log(
      `point selects by primary key, ${CALLERS} concurrent callers, ${ROUNDS} rounds x ${QUERIES_PER_ROUND} queries each side (medians)`,
    );
    console.log(
      `  text protocol:   raw mysql2 pool ${m.rawQuery.toFixed(0)} q/s, DatabaseManager ${m.oursQuery.toFixed(0)} q/s, ratio ${(m.oursQuery / m.rawQuery).toFixed(3)}`,
    );
    console.log(
      `  binary protocol: raw mysql2 pool ${m.rawExecute.toFixed(0)} q/s, DatabaseManager ${m.oursExecute.toFixed(0)} q/s, ratio ${(m.oursExecute / m.rawExecute).toFixed(3)}`,
    );
    console.log(`  monitoring recorded ${calls} calls for the statement shape`);

    const rssMb = idleRss(sb.home, sb.name);
    console.log(`  RSS of a process with 10 idle pooled connections: ${rssMb.toFixed(1)} MB (goal < 80 MB)`);
    console.log(
      `ratio: ${(m.oursQuery / m.rawQuery).toFixed(3)} (DatabaseManager / raw mysql2 pool, queries per second, text protocol)`,
    );
  });
}

/** RSS of a fresh node process (compiled library, no tsx) holding 10 idle pooled connections. */
function idleRss(home: string, name: string): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const script = `
    import { DatabaseManager } from ${JSON.stringify(path.join(root, 'dist/index.js'))};
    const db = new DatabaseManager({ connection: {}, usesSandbox: true, sandbox: { home: ${JSON.stringify(home)}, name: ${JSON.stringify(name)} }, pool: { size: 10 } });
    await Promise.all(Array.from({ length: 10 }, () => db.query('SELECT SLEEP(0.2)')));
    if (db.poolStats().size !== 10) throw new Error('expected 10 pooled connections, got ' + db.poolStats().size);
    await new Promise((r) => setTimeout(r, 500));
    globalThis.gc?.();
    process.stdout.write(String(process.memoryUsage().rss));
    await db.close();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`RSS probe failed: ${r.stderr}`);
  return Number(r.stdout) / (1024 * 1024);
}
