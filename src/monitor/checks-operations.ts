/**
 * Health checks of what runs around the server: free disk space of the data directory, backup
 * freshness, ETL freshness and the audit chain's seal backlog.
 */
import { promises as fsp } from 'node:fs';
import { backupSettings, listBackups } from '../backup/index.js';
import type { MysqlopsConfig } from '../config/index.js';
import { type DatabaseManager, quoteId } from '../db/index.js';
import { PIPELINES } from '../etl/index.js';
import type { HealthConfig, HealthThresholds } from './config-schema.js';
import { leveled, levelText, round, unknownCheck } from './levels.js';
import { toNumber } from './server-state.js';
import type { HealthCheck } from './types.js';

const LOOPBACK = /^(localhost|::1|127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** True when the server runs on this machine, so its data directory can be looked at. */
export function serverIsLocal(config: Pick<MysqlopsConfig, 'usesSandbox' | 'connection'>): boolean {
  const c = config.connection;
  return config.usesSandbox || c.socket !== undefined || (c.host !== undefined && LOOPBACK.test(c.host));
}

export async function diskCheck(
  db: DatabaseManager,
  config: Pick<MysqlopsConfig, 'usesSandbox' | 'connection'>,
  t: HealthThresholds,
): Promise<HealthCheck> {
  const base = { name: 'disk_space', title: 'Data directory free space', unit: '%' };
  const threshold = levelText('diskFreePct', t, '%');
  const [row] = await db.query<{ d: string | null }>('SELECT @@datadir AS d');
  const dir = row?.d ?? '';
  if (!serverIsLocal(config))
    return unknownCheck(
      base,
      threshold,
      `the server runs elsewhere: watch ${dir || 'its data directory'} on that host`,
    );
  let stats: Awaited<ReturnType<typeof fsp.statfs>>;
  try {
    stats = await fsp.statfs(dir);
  } catch (err) {
    return unknownCheck(
      base,
      threshold,
      `cannot look at ${dir} from here (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const total = stats.blocks * stats.bsize;
  const free = stats.bavail * stats.bsize;
  if (total <= 0) return unknownCheck(base, threshold, `${dir} reports no size`);
  return leveled(base, (100 * free) / total, 'diskFreePct', t, (s) =>
    s === 'ok'
      ? `${gib(free)} of ${gib(total)} free on ${dir}`
      : `${gib(free)} of ${gib(total)} free on ${dir}: purge binary logs, prune backups, or grow the volume before writes fail`,
  );
}

function gib(bytes: number): string {
  return `${round(bytes / 1024 ** 3)} GiB`;
}

/** The newest full backup that `backup verify` passed, by age. */
export async function backupCheck(
  config: Pick<MysqlopsConfig, 'backup' | 'sandbox'>,
  health: HealthConfig,
  now: number,
): Promise<HealthCheck> {
  const base = { name: 'backup_freshness', title: 'Last verified full backup', unit: 'h' };
  const t = health.thresholds;
  const threshold = levelText('backupAgeHours', t, 'h');
  const settings = backupSettings(config);
  const all = await listBackups(settings);
  const fulls = all.filter((b) => b.complete && b.type === 'full');
  const verified = fulls.find((b) => b.verifiedAt !== undefined && b.finishedAt !== undefined);
  if (!verified) {
    return {
      ...base,
      status: health.missingBackup,
      value: null,
      threshold,
      hint:
        fulls.length > 0
          ? `${fulls.length} full backup(s) in ${settings.dir}, none verified: run mysqlops backup verify`
          : `no full backup in ${settings.dir}: run mysqlops backup full --verify`,
    };
  }
  const hours = (now - Date.parse(verified.finishedAt as string)) / 3_600_000;
  const newerUnverified = fulls.indexOf(verified);
  return leveled(base, Math.max(0, hours), 'backupAgeHours', t, (s) => {
    const what = `${verified.id}, verified ${verified.verifiedAt}`;
    const extra = newerUnverified > 0 ? `; ${newerUnverified} newer full backup(s) not verified yet` : '';
    return s === 'ok'
      ? `${what}${extra}`
      : `${what}${extra}: check the backup schedule (mysqlops backup full --verify)`;
  });
}

/** True when `schema` has a table `table` (information_schema lookup, cheap). */
async function hasTable(db: DatabaseManager, schema: string, table: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  return rows.length > 0;
}

/** Minutes since the stalest scheduled pipeline last succeeded. */
export async function etlCheck(
  db: DatabaseManager,
  schema: string,
  schedule: Readonly<Record<string, string | null>>,
  t: HealthThresholds,
): Promise<HealthCheck> {
  const base = { name: 'etl_freshness', title: 'ETL freshness', unit: 'min' };
  const threshold = levelText('etlAgeMinutes', t, 'min');
  if (!(await hasTable(db, schema, 'etl_runs')))
    return unknownCheck(base, threshold, `no etl_runs table in ${schema}: run mysqlops migrate`);
  const scheduled = PIPELINES.filter((p) => schedule[p]);
  if (scheduled.length === 0)
    return { ...base, status: 'ok', value: null, threshold, hint: 'no pipeline is scheduled' };
  const rows = await db.query<{ pipeline: string; age: unknown; lastRun: unknown; lastFailed: unknown }>(
    `SELECT pipeline,
            TIMESTAMPDIFF(SECOND, MAX(CASE WHEN status = 'success' THEN finished_at END), NOW()) AS age,
            MAX(run_id) AS lastRun, MAX(CASE WHEN status = 'failed' THEN run_id END) AS lastFailed
       FROM ${quoteId(schema)}.etl_runs GROUP BY pipeline`,
  );
  const byPipeline = new Map(rows.map((r) => [r.pipeline, r]));
  const never = scheduled.filter((p) => toNumber(byPipeline.get(p)?.age) === null);
  if (never.length === scheduled.length) {
    return {
      ...base,
      status: 'warning',
      value: null,
      threshold,
      hint: 'the ETL has never completed a run: run mysqlops etl run (mysqlops serve schedules it)',
    };
  }
  let stalest = scheduled[0] as string;
  let worstAge = -1;
  for (const p of scheduled) {
    const age = toNumber(byPipeline.get(p)?.age) ?? Number.POSITIVE_INFINITY;
    if (age > worstAge) {
      worstAge = age;
      stalest = p;
    }
  }
  const failing = scheduled.filter((p) => {
    const r = byPipeline.get(p);
    return (
      r !== undefined && toNumber(r.lastFailed) !== null && toNumber(r.lastFailed) === toNumber(r.lastRun)
    );
  });
  const minutes = Number.isFinite(worstAge) ? worstAge / 60 : Number.MAX_SAFE_INTEGER;
  return leveled(base, minutes, 'etlAgeMinutes', t, (s) => {
    const failed = failing.length > 0 ? `; latest run failed: ${failing.join(', ')}` : '';
    const where = Number.isFinite(worstAge)
      ? `${stalest} last succeeded ${round(minutes)} min ago`
      : `${stalest} never succeeded`;
    return s === 'ok' ? `${where}${failed}` : `${where}${failed}: see mysqlops etl status`;
  });
}

/**
 * The audit trail's cheap state: rows waiting for `audit seal` and the latest seal. The full chain
 * verification (`mysqlops audit verify`) reads every row and is too expensive for a health check.
 */
export async function auditCheck(
  db: DatabaseManager,
  schema: string,
  t: HealthThresholds,
): Promise<HealthCheck> {
  const base = { name: 'audit_chain', title: 'Audit chain sealing', unit: 'h' };
  const threshold = levelText('auditUnsealedHours', t, 'h');
  if (!(await hasTable(db, schema, 'audit_seal')))
    return unknownCheck(base, threshold, `no audit tables in ${schema}: run mysqlops migrate`);
  const q = quoteId(schema);
  const [seal] = await db.query<{ id: unknown; age: unknown }>(
    `SELECT seal_id AS id, TIMESTAMPDIFF(SECOND, sealed_at, NOW()) AS age FROM ${q}.audit_seal ORDER BY seal_id DESC LIMIT 1`,
  );
  // Per table, so each count is a range scan of ix_audit_log_seal (table_name, seal_id).
  const tables = await db.query<{ t: string }>(`SELECT DISTINCT table_name AS t FROM ${q}.audit_log`);
  let unsealed = 0;
  let oldest: number | null = null;
  for (const { t: table } of tables) {
    const [r] = await db.query<{ n: unknown; age: unknown }>(
      `SELECT COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MIN(changed_at), NOW()) AS age
         FROM ${q}.audit_log WHERE table_name = ? AND seal_id IS NULL`,
      [table],
    );
    unsealed += toNumber(r?.n) ?? 0;
    const age = toNumber(r?.age);
    if (age !== null && (oldest === null || age > oldest)) oldest = age;
  }
  const sealText = seal
    ? `latest seal #${toNumber(seal.id)} ${round((toNumber(seal.age) ?? 0) / 3600)} h ago`
    : 'never sealed';
  const hours = (oldest ?? 0) / 3600;
  return leveled(base, hours, 'auditUnsealedHours', t, (s) => {
    const what = `${unsealed} unsealed rows, ${sealText} (full check: mysqlops audit verify)`;
    return s === 'ok' ? what : `${what}: run mysqlops audit seal (mysqlops serve seals on a schedule)`;
  });
}
