/**
 * `partitions`: keep monthly RANGE partitions ahead of the data and, only when a retention is set,
 * drop the months past it (DROP PARTITION removes a month's rows at once, without a DELETE).
 *
 * A table takes part when it is partitioned BY RANGE (on TO_DAYS(col)) or RANGE COLUMNS (on a date
 * column) and its partitions follow the monthly convention: `pYYYYMM` holds that calendar month
 * (VALUES LESS THAN the first day of the next month), optionally followed by one MAXVALUE partition.
 * Other partitioned tables are left alone with the reason; unpartitioned tables are not looked at.
 */
import type { DatabaseManager } from '../db/index.js';
import { qualifiedName, tableLabel, targetSchemas } from './tables.js';
import { failureOf, type MaintenanceReport, type MaintenanceRunOptions } from './types.js';

/** Options of `rotatePartitions`. */
export interface PartitionOptions extends MaintenanceRunOptions {
  /** Months after the current one that must have their partition. Default 3. */
  aheadMonths?: number;
  /** Drop monthly partitions wholly older than this many months before the current one. Default null: never. */
  retentionMonths?: number | null;
  /** The clock (tests). Default now; months are UTC. */
  now?: Date;
}

interface PartitionRow {
  s: string;
  t: string;
  name: string | null;
  method: string | null;
  description: string | null;
}

const MONTHLY = /^p(\d{4})(\d{2})$/;

/** A month as a number that orders and adds: year * 12 + month index. */
type Month = number;
const monthOf = (d: Date): Month => d.getUTCFullYear() * 12 + d.getUTCMonth();
const nameOf = (m: Month) => `p${Math.floor(m / 12)}${String((m % 12) + 1).padStart(2, '0')}`;
const firstDayOf = (m: Month) => `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;

/**
 * Add the missing monthly partitions up to `aheadMonths` ahead and, when `retentionMonths` is set, drop the
 * months past it. Only tables following the `pYYYYMM` convention take part; others are reported in `skipped`
 * with the reason. WARNING: a dropped partition's rows are gone; run with `dryRun` first. A failing table is
 * reported in `failed`; the others still run.
 */
export async function rotatePartitions(
  db: DatabaseManager,
  options: PartitionOptions = {},
): Promise<MaintenanceReport> {
  const report: MaintenanceReport = {
    job: 'partitions',
    dryRun: options.dryRun === true,
    actions: [],
    skipped: [],
    failed: [],
  };
  const schemas = await targetSchemas(db, options.schemas);
  if (schemas.length === 0) return report;
  const rows = await db.query<PartitionRow>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, PARTITION_NAME AS name, PARTITION_METHOD AS method,
            PARTITION_DESCRIPTION AS description
       FROM information_schema.PARTITIONS
      WHERE TABLE_SCHEMA IN (?) AND PARTITION_NAME IS NOT NULL
      ORDER BY TABLE_SCHEMA, TABLE_NAME, PARTITION_ORDINAL_POSITION`,
    [schemas],
  );
  const tables = new Map<string, PartitionRow[]>();
  for (const r of rows) {
    const key = tableLabel(r.s, r.t);
    tables.set(key, [...(tables.get(key) ?? []), r]);
  }
  const current = monthOf(options.now ?? new Date());
  const ahead = options.aheadMonths ?? 3;
  const retention = options.retentionMonths ?? null;

  for (const [label, parts] of tables) {
    const first = parts[0] as PartitionRow;
    const table = qualifiedName(first.s, first.t);
    const plan: Plan = table ? planTable(parts) : { problem: 'a name mysqlops does not quote' };
    if (!table || 'problem' in plan) {
      report.skipped.push({ table: label, reason: `not rotated: ${'problem' in plan ? plan.problem : ''}` });
      continue;
    }
    const bound = (m: Month) => (plan.days ? `TO_DAYS('${firstDayOf(m + 1)}')` : `'${firstDayOf(m + 1)}'`);
    const statements: Array<{ statement: string; reason: string }> = [];

    const missing: Month[] = [];
    for (let m = plan.last + 1; m <= current + ahead; m++) missing.push(m);
    if (missing.length > 0) {
      const defs = missing.map((m) => `PARTITION ${nameOf(m)} VALUES LESS THAN (${bound(m)})`);
      const reason = `partitions through ${nameOf(current + ahead)} (${ahead} month(s) ahead)`;
      statements.push(
        plan.maxvalue
          ? {
              statement: `ALTER TABLE ${table} REORGANIZE PARTITION ${plan.maxvalue} INTO (${defs.join(', ')}, PARTITION ${plan.maxvalue} VALUES LESS THAN MAXVALUE)`,
              reason,
            }
          : { statement: `ALTER TABLE ${table} ADD PARTITION (${defs.join(', ')})`, reason },
      );
    }
    if (retention !== null) {
      const expired = plan.months.filter((m) => m < current - retention);
      // A table keeps at least one monthly partition: RANGE partitioning needs one.
      if (expired.length > 0 && expired.length < plan.months.length + missing.length) {
        statements.push({
          statement: `ALTER TABLE ${table} DROP PARTITION ${expired.map(nameOf).join(', ')}`,
          reason: `months before ${nameOf(current - retention)} are past the ${retention}-month retention`,
        });
      }
    } else if (missing.length === 0) {
      report.skipped.push({ table: label, reason: `partitions already reach ${nameOf(plan.last)}` });
    }

    for (const { statement, reason } of statements) {
      if (report.dryRun) {
        report.actions.push({ statement, table: label, ms: 0, reason });
        continue;
      }
      const started = performance.now();
      try {
        await db.execute(statement);
        report.actions.push({ statement, table: label, ms: Math.round(performance.now() - started), reason });
      } catch (err) {
        report.failed.push(failureOf(statement, label, err));
      }
    }
  }
  return report;
}

type Plan = { problem: string } | { months: Month[]; last: Month; maxvalue: string | null; days: boolean };

/** How a table's partitions follow the monthly convention, or why they do not. */
function planTable(parts: readonly PartitionRow[]): Plan {
  const method = parts[0]?.method ?? '';
  if (method !== 'RANGE' && method !== 'RANGE COLUMNS')
    return { problem: `partitioned BY ${method}, not RANGE` };
  const months: Month[] = [];
  let maxvalue: string | null = null;
  let days: boolean | undefined;
  for (const [i, p] of parts.entries()) {
    const name = p.name ?? '';
    if (p.description === 'MAXVALUE' && i === parts.length - 1) {
      maxvalue = name;
      continue;
    }
    const m = MONTHLY.exec(name);
    if (!m) return { problem: `partition ${name} is not named pYYYYMM` };
    const month = Number(m[1]) * 12 + Number(m[2]) - 1;
    if (months.length > 0 && month !== (months.at(-1) as Month) + 1) {
      return { problem: `partition ${name} does not follow ${nameOf(months.at(-1) as Month)}` };
    }
    months.push(month);
    // RANGE on TO_DAYS(col) describes bounds as day numbers, RANGE COLUMNS as quoted dates.
    const numeric = /^\d+$/.test(p.description ?? '');
    if (days !== undefined && days !== numeric) return { problem: 'bounds of mixed kinds' };
    days = numeric;
  }
  if (months.length === 0) return { problem: 'no pYYYYMM partitions' };
  return { months, last: months.at(-1) as Month, maxvalue, days: days === true };
}
