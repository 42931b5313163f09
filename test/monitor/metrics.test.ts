/**
 * /metrics against the run's real sandbox: the text parses strictly as the Prometheus text format
 * (our parser below, and promtool), covers every global status/variables metric name that
 * mysqld_exporter (Debian's prometheus-mysqld-exporter, default collectors) exports for the same
 * server, and reports the ETL, audit, backup and health state it claims to.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyAudit, sealAudit } from '../../src/audit/index.js';
import { backupFull, recordVerification } from '../../src/backup/index.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { runEtl } from '../../src/etl/index.js';
import { Exposition } from '../../src/monitor/metrics/exposition.js';
import { createMetrics } from '../../src/monitor/metrics/index.js';
import { writeGlobalStatus, writeReplicaStatus } from '../../src/monitor/metrics/server.js';
import type { TestDatabase } from '../support/db.js';
import { sandboxEndpoint } from '../support/db.js';
import { freePort } from '../support/net.js';
import { createMigratedDatabase } from '../support/schema.js';

const EXPORTER = '/usr/bin/prometheus-mysqld-exporter';
const PROMTOOL = '/usr/bin/promtool';
const ROOT = path.resolve(import.meta.dirname, '../..');

// ---- a strict reader of the text exposition format (0.0.4) ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return name;
}

/** Parse exposition text, throwing on anything the format does not allow. */
function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('text must end with a newline');
  const families = new Map<string, Family>();
  const types = new Map<string, string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const open = (name: string) => {
    if (current === name) return;
    if (closed.has(name) || families.has(name)) throw new Error(`family ${name} is not contiguous`);
    if (current) closed.add(current);
    current = name;
    families.set(name, { name, type: types.get(name) ?? 'untyped', help: undefined, samples: [] });
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${line.slice(0, 120)}`;
      if (line === '') return;
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name, rest] = m as unknown as [string, string, string, string];
        if (!NAME.test(name) || NAME.exec(name)?.[0] !== name) throw new Error(`bad name, ${where}`);
        if (kind === 'TYPE') {
          if (!TYPES.has(rest)) throw new Error(`bad type, ${where}`);
          if (types.has(name) || (families.get(name)?.samples.length ?? 0) > 0) {
            throw new Error(`TYPE too late or twice, ${where}`);
          }
          types.set(name, rest);
        }
        open(name);
        const f = families.get(name) as Family;
        if (kind === 'TYPE') f.type = rest;
        else {
          if (f.help !== undefined) throw new Error(`HELP twice, ${where}`);
          if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP, ${where}`);
          f.help = rest;
        }
        return;
      }
      const nameMatch = NAME.exec(line);
      if (!nameMatch) throw new Error(`no metric name, ${where}`);
      const name = nameMatch[0];
      let rest = line.slice(name.length);
      const labels: Record<string, string> = {};
      if (rest.startsWith('{')) {
        rest = rest.slice(1);
        while (!rest.startsWith('}')) {
          const ln = LABEL_NAME.exec(rest);
          if (!ln) throw new Error(`bad label name, ${where}`);
          rest = rest.slice(ln[0].length);
          if (!rest.startsWith('="')) throw new Error(`expected =", ${where}`);
          rest = rest.slice(2);
          let value = '';
          for (;;) {
            const c = rest[0];
            if (c === undefined) throw new Error(`unterminated label value, ${where}`);
            rest = rest.slice(1);
            if (c === '"') break;
            if (c === '\\') {
              const e = rest[0];
              rest = rest.slice(1);
              if (e === 'n') value += '\n';
              else if (e === '\\' || e === '"') value += e;
              else throw new Error(`bad escape, ${where}`);
            } else value += c;
          }
          if (ln[0] in labels) throw new Error(`label twice, ${where}`);
          labels[ln[0]] = value;
          if (rest.startsWith(',')) rest = rest.slice(1);
          else if (!rest.startsWith('}')) throw new Error(`expected , or }, ${where}`);
        }
        rest = rest.slice(1);
      }
      const parts = rest.split(' ');
      if (parts[0] !== '' || parts.length < 2 || parts.length > 3) throw new Error(`bad sample, ${where}`);
      const raw = parts[1] as string;
      if (!VALUE.test(raw)) throw new Error(`bad value, ${where}`);
      if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) throw new Error(`bad timestamp, ${where}`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(key)) throw new Error(`duplicate series, ${where}`);
      series.add(key);
      const fam = familyOf(name, types);
      open(fam);
      const value =
        raw === 'NaN'
          ? Number.NaN
          : raw.endsWith('Inf')
            ? raw[0] === '-'
              ? -Infinity
              : Infinity
            : Number(raw);
      (families.get(fam) as Family).samples.push({ name, labels, value });
    });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (!inf || !count || inf.value !== count.value)
      throw new Error(`${f.name}: +Inf bucket and _count disagree`);
    const ordered = buckets.map((b) => [Number(b.labels.le === '+Inf' ? Infinity : b.labels.le), b.value]);
    for (let i = 1; i < ordered.length; i++) {
      const [pb, pv] = ordered[i - 1] as number[];
      const [cb, cv] = ordered[i] as number[];
      if (!((cb as number) > (pb as number) && (cv as number) >= (pv as number))) {
        throw new Error(`${f.name}: buckets not cumulative`);
      }
    }
  }
}

/** Metric names with the samples' names (histogram parts included). */
function sampleNames(families: Map<string, Family>): Set<string> {
  const out = new Set<string>();
  for (const f of families.values()) for (const s of f.samples) out.add(s.name);
  return out;
}

// ---- fixtures ----

let t: TestDatabase;
let config: MysqlopsConfig;
let db: DatabaseManager;
let work: string;

beforeAll(async () => {
  t = await createMigratedDatabase('metrics');
  work = mkdtempSync(path.join(tmpdir(), 'mysqlops-metrics-'));
  const { home, name } = inject('sandbox');
  config = loadConfig({
    cwd: work,
    environ: {
      MYSQLOPS_ENV: 'test',
      MYSQLOPS_HOME: home,
      MYSQLOPS_SANDBOX: name,
      DB_NAME: t.name,
      BACKUP_DIR: path.join(work, 'backups'),
    },
  });
  db = new DatabaseManager(config);
  await db.initialize();
});

afterAll(async () => {
  await db?.close();
  await t?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('/metrics text', () => {
  it('parses strictly, and promtool finds no error and no lint in names of our own', async () => {
    const metrics = createMetrics(db, config);
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.render();
    const families = parseExposition(text);
    expect(families.get('mysql_up')?.samples[0]?.value).toBe(1);
    expect(families.get('mysqlops_db_query_duration_seconds')?.type).toBe('histogram');
    // The default health source is the real runHealthChecks.
    const checks = families.get('mysqlops_health_check_status')?.samples.map((x) => x.labels.check);
    expect(checks).toEqual(expect.arrayContaining(['server', 'connections', 'backup_freshness']));

    expect(existsSync(PROMTOOL), `${PROMTOOL} is missing: run scripts/bootstrap.sh`).toBe(true);
    const r = promtool(['check', 'metrics'], text);
    expect(r.out).not.toMatch(/error while linting|parsing error/);
    // Exit 3 is "lint problems only". The only ones allowed are style remarks on the names
    // mysqld_exporter gives server variables (`..._count`, `..._days`), which we keep for compatibility.
    expect([0, 3]).toContain(r.status);
    const problems = r.out.split('\n').filter(Boolean);
    for (const p of problems) expect(p).toMatch(/^mysql_global_(variables|status)_\w+ /);
  });

  it('shares one scrape between concurrent callers', async () => {
    const metrics = createMetrics(db, config);
    const calls = () =>
      db.queryStats(Number.MAX_SAFE_INTEGER).find((s) => s.shape === 'SHOW GLOBAL STATUS')?.calls ?? 0;
    await metrics.render();
    const before = calls();
    const texts = await Promise.all([metrics.render(), metrics.render(), metrics.render()]);
    expect(calls() - before).toBe(1);
    expect(new Set(texts).size).toBe(1);
    await metrics.render();
    expect(calls() - before).toBe(2);
  });

  it('serves the last health report while a newer one is computed in the background', async () => {
    const pending: Array<(r: { status: 'ok' | 'critical'; checks: [] }) => void> = [];
    const health = () => new Promise<{ status: 'ok' | 'critical'; checks: [] }>((r) => pending.push(r));
    const metrics = createMetrics(db, config, { health }, { healthMaxAgeMs: 1 });
    const overall = async () =>
      parseExposition(await metrics.render()).get('mysqlops_health_status')?.samples[0]?.value;
    const first = overall();
    await expect.poll(() => pending.length).toBe(1);
    pending[0]?.({ status: 'ok', checks: [] });
    expect(await first).toBe(0);
    const since = Date.now();
    await expect.poll(() => Date.now() > since + 1).toBe(true);
    // Stale: this scrape does not wait for the refresh it starts.
    expect(await overall()).toBe(0);
    expect(pending).toHaveLength(2);
    pending[1]?.({ status: 'critical', checks: [] });
    await expect.poll(overall).toBe(2);
  });

  it('reports the server down as mysql_up 0 and still renders', async () => {
    const port = await freePort();
    const down = new DatabaseManager({
      connection: { host: '127.0.0.1', port, user: 'nobody', connectTimeoutMs: 2000 },
    });
    const errors: string[] = [];
    try {
      const text = await createMetrics(down, config, {}, { onError: (s) => errors.push(s) }).render();
      const f = parseExposition(text);
      expect(f.get('mysql_up')?.samples[0]?.value).toBe(0);
      expect(f.has('mysql_global_status_uptime')).toBe(false);
      const up = f.get('mysqlops_scrape_source_up')?.samples ?? [];
      expect(up.find((s) => s.labels.source === 'server')?.value).toBe(0);
      expect(up.find((s) => s.labels.source === 'backups')?.value).toBe(1);
      expect(errors).toContain('server');
    } finally {
      await down.close();
    }
  });
});

describe('coverage of mysqld_exporter', () => {
  let exporter: ChildProcess | undefined;
  let exporterUrl = '';

  beforeAll(async () => {
    expect(existsSync(EXPORTER), `${EXPORTER} is missing: run scripts/bootstrap.sh`).toBe(true);
    const sb = sandboxEndpoint();
    // Credentials in a 0600 option file, never on the command line.
    const cnf = path.join(work, 'exporter.my.cnf');
    writeFileSync(
      cnf,
      `[client]\nuser=${sb.user}\npassword="${sb.password.reveal()}"\nhost=${sb.host}\nport=${sb.port}\n`,
      { mode: 0o600 },
    );
    const port = await freePort();
    exporterUrl = `http://127.0.0.1:${port}/metrics`;
    exporter = spawn(EXPORTER, [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(exporterUrl).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('mysqld_exporter did not answer within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    exporter?.kill();
  });

  it('exports every global status and global variables name (and series) the exporter does', async () => {
    const theirs = parseExposition(await (await fetch(exporterUrl)).text());
    expect(theirs.get('mysql_up')?.samples[0]?.value).toBe(1);
    const ours = parseExposition(await createMetrics(db, config).render());
    const theirNames = sampleNames(theirs);
    const ourNames = sampleNames(ours);
    const report: string[] = [];
    for (const prefix of ['mysql_global_status_', 'mysql_global_variables_']) {
      const wanted = [...theirNames].filter((n) => n.startsWith(prefix));
      const missing = wanted.filter((n) => !ourNames.has(n));
      report.push(`${prefix}*: ${wanted.length - missing.length}/${wanted.length} names`);
      expect(wanted.length).toBeGreaterThan(300);
      expect(missing).toEqual([]);
      // The same label sets too (commands_total{command}, buffer_pool_pages{state}, ...).
      const seriesOf = (fams: Map<string, Family>) =>
        new Set(
          [...fams.values()]
            .flatMap((f) => f.samples)
            .filter((s) => s.name.startsWith(prefix))
            .map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`),
        );
      const ourSeries = seriesOf(ours);
      const missingSeries = [...seriesOf(theirs)].filter((s) => !ourSeries.has(s));
      expect(missingSeries).toEqual([]);
    }
    // Beyond the two collectors: everything of the server the exporter says, bar its own health.
    const server = [...theirNames].filter((n) => n.startsWith('mysql_') && !n.startsWith('mysql_exporter_'));
    const covered = server.filter((n) => ourNames.has(n));
    report.push(
      `all mysql_* server names: ${covered.length}/${server.length} ` +
        `(${((100 * covered.length) / server.length).toFixed(1)}%; not covered: ` +
        `${server.filter((n) => !ourNames.has(n)).join(', ') || 'none'})`,
    );
    for (const v of ['mysql_version_info', 'mysql_transaction_isolation']) {
      expect(ours.get(v)?.samples).toEqual(theirs.get(v)?.samples);
    }
    console.log(`coverage of mysqld_exporter 0.14 (default collectors):\n  ${report.join('\n  ')}`);
  });
});

describe('mysqlops state', () => {
  it('reports ETL freshness, the audit chain, backups and health checks', async () => {
    const health = {
      at: new Date().toISOString(),
      status: 'critical' as const,
      checks: [
        {
          name: 'connections',
          title: 'Connections used',
          status: 'ok' as const,
          value: 12,
          unit: '%',
          threshold: null,
          hint: '',
        },
        {
          name: 'replication',
          title: 'Replication',
          status: 'unknown' as const,
          value: null,
          threshold: null,
          hint: '',
        },
        {
          name: 'backup_freshness',
          title: 'Backups',
          status: 'critical' as const,
          value: 'never',
          threshold: null,
          hint: '',
        },
      ],
    };
    const metrics = createMetrics(db, config, { health: async () => health }, { healthMaxAgeMs: 0 });
    const value = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
      f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    let f = parseExposition(await metrics.render());
    expect(value(f, 'mysqlops_etl_age_seconds', { pipeline: 'daily_sales_summary' })).toBe(Infinity);
    expect(value(f, 'mysqlops_backup_age_seconds', { kind: 'full' })).toBe(Infinity);
    expect(value(f, 'mysqlops_audit_last_seal_age_seconds')).toBe(Infinity);
    expect(value(f, 'mysqlops_health_status')).toBe(2);
    expect(value(f, 'mysqlops_health_check_status', { check: 'connections' })).toBe(0);
    expect(value(f, 'mysqlops_health_check_status', { check: 'replication' })).toBe(3);
    expect(value(f, 'mysqlops_health_check_status', { check: 'backup_freshness' })).toBe(2);
    expect(value(f, 'mysqlops_health_check_value', { check: 'connections', unit: '%' })).toBe(12);
    expect(value(f, 'mysqlops_health_check_value', { check: 'backup_freshness' })).toBeUndefined();

    await applyAudit(t.db);
    await t.db.execute("INSERT INTO categories (name, slug) VALUES ('Metrics', 'metrics')");
    f = parseExposition(await metrics.render());
    expect(value(f, 'mysqlops_audit_unsealed_rows', { table: 'categories' })).toBe(1);
    expect(value(f, 'mysqlops_audit_oldest_unsealed_age_seconds')).toBeGreaterThanOrEqual(0);

    await sealAudit(t.db);
    await runEtl(t.config());
    const backup = await fullBackup();
    await recordVerification(backup.dir, false);

    f = parseExposition(await metrics.render());
    expect(value(f, 'mysqlops_audit_unsealed_rows', { table: 'categories' })).toBe(0);
    expect(value(f, 'mysqlops_audit_seals')).toBeGreaterThanOrEqual(1);
    expect(value(f, 'mysqlops_audit_last_seal_age_seconds')).toBeLessThan(600);
    for (const pipeline of ['customer_order_summary', 'daily_sales_summary']) {
      expect(value(f, 'mysqlops_etl_age_seconds', { pipeline })).toBeLessThan(600);
      expect(value(f, 'mysqlops_etl_built', { pipeline })).toBe(1);
      expect(value(f, 'mysqlops_etl_last_run_failed', { pipeline })).toBe(0);
    }
    for (const kind of ['full', 'verified']) {
      expect(value(f, 'mysqlops_backup_age_seconds', { kind })).toBeLessThan(600);
      expect(value(f, 'mysqlops_backup_last_timestamp_seconds', { kind })).toBeGreaterThan(1.7e9);
    }
    expect(value(f, 'mysqlops_backup_age_seconds', { kind: 'incremental' })).toBe(Infinity);
    expect(value(f, 'mysqlops_backups', { state: 'complete' })).toBe(1);
  });
});

/**
 * A full backup of the test database. Retried when the server's own on-disk temporary table in /tmp
 * vanished under it (EE_DELETE on `#sql-temptable-*`): sandboxes of parallel test runs on this
 * machine share /tmp, and servers with equal pids in separate pid namespaces pick equal temp names.
 * Anything else fails the test.
 */
async function fullBackup() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await backupFull(t.config(), {
        dir: path.join(work, 'backups'),
        retentionDays: 7,
        encrypt: false,
        compression: 'none',
        threads: 1,
      });
    } catch (err) {
      if (attempt >= 5 || !/sql-temptable/.test(String((err as Error).message))) throw err;
    }
  }
}

// ---- the shipped alert rules and dashboard ----

/** Every name our /metrics can carry: a real scrape plus what appears only on a replica. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics(db, config, {
    health: async () => ({
      status: 'ok',
      checks: [{ name: 'x', title: 'x', status: 'ok', value: 1, threshold: null, hint: '' }],
    }),
  });
  const names = sampleNames(parseExposition(await metrics.render()));
  const replica = new Exposition();
  writeReplicaStatus(replica, [REPLICA_ROW]);
  for (const n of sampleNames(parseExposition(replica.toString()))) names.add(n);
  // The run's sandbox is not a Galera node: its wsrep status is what a node of a cluster shows.
  const galera = new Exposition();
  writeGlobalStatus(galera, GALERA_STATUS_ROWS);
  for (const n of sampleNames(parseExposition(galera.toString()))) names.add(n);
  return names;
}

/** SHOW GLOBAL STATUS rows of a Synced Galera node (the numeric ones monitoring/alerts/galera.yaml reads). */
const GALERA_STATUS_ROWS = [
  { Variable_name: 'wsrep_cluster_size', Value: '3' },
  { Variable_name: 'wsrep_cluster_status', Value: 'Primary' },
  { Variable_name: 'wsrep_local_state', Value: '4' },
  { Variable_name: 'wsrep_ready', Value: 'ON' },
  { Variable_name: 'wsrep_flow_control_paused_ns', Value: '0' },
  { Variable_name: 'wsrep_local_recv_queue_avg', Value: '0.1' },
  { Variable_name: 'wsrep_evs_repl_latency', Value: '0.0001/0.0002/0.0003/0.00005/12' },
];

/** The columns of MariaDB's SHOW SLAVE STATUS that carry numbers, as a running replica shows them. */
const REPLICA_ROW = {
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '127.0.0.1',
  Master_Port: 3306,
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Last_Errno: 0,
  Last_IO_Errno: 0,
  Last_SQL_Errno: 0,
  Seconds_Behind_Master: 0,
  Relay_Log_Space: 1024,
  Exec_Master_Log_Pos: 100,
  Read_Master_Log_Pos: 100,
  Using_Gtid: 'Slave_Pos',
};

/** The metric names a PromQL expression reads (ours or the exporter's: `mysql_` / `mysqlops_`). */
function namesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...code.matchAll(/\b(mysql(?:ops)?_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1] as string);
}

describe('monitoring/ rules and dashboard', () => {
  it('alert rules pass promtool check rules and read only metrics we export', async () => {
    const dir = path.join(ROOT, 'monitoring/alerts');
    const files = readdirSync(dir).filter((n) => n.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    const r = promtool(['check', 'rules', ...files.map((n) => path.join(dir, n))]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.status, r.out).toBe(0);
    const exported = await exportedNames();
    const { parse } = await import('yaml');
    let rules = 0;
    for (const file of files) {
      const doc = parse(readFileSync(path.join(dir, file), 'utf8')) as {
        groups: Array<{
          rules: Array<{
            alert?: string;
            expr: string;
            labels?: { severity?: string };
            annotations?: object;
          }>;
        }>;
      };
      for (const g of doc.groups) {
        for (const rule of g.rules) {
          rules++;
          const names = namesIn(rule.expr);
          expect(names.length, `${rule.alert}: reads no metric`).toBeGreaterThan(0);
          for (const n of names) expect(exported.has(n), `${rule.alert}: ${n} is not exported`).toBe(true);
          expect(['warning', 'critical']).toContain(rule.labels?.severity);
          expect(rule.annotations).toHaveProperty('summary');
        }
      }
    }
    expect(rules).toBeGreaterThanOrEqual(9);
  });

  it('the Grafana dashboard is valid JSON whose queries read only metrics we export', async () => {
    const file = path.join(ROOT, 'monitoring/dashboards/mysqlops.json');
    const dash = JSON.parse(readFileSync(file, 'utf8')) as {
      title: string;
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    expect(dash.title).toBeTruthy();
    const exported = await exportedNames();
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of exprs) {
      const names = namesIn(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const n of names) expect(exported.has(n), `${n} in ${expr}`).toBe(true);
    }
  });
});
