/**
 * `mysqlops etl run [PIPELINE...] [--full] | status | verify`: parses flags, calls the ETL
 * library (src/etl) on DB_NAME, renders tables, a progress bar, or one JSON document.
 */
import type { Command } from 'commander';
import { MysqlopsError, UsageError } from '../../errors.js';
import {
  type EtlProgress,
  etlStatus,
  PIPELINES,
  type RunEtlResult,
  resolvePipelines,
  runEtl,
  type VerifyEtlResult,
  verifyEtl,
} from '../../etl/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { type ProgressBar, progressBar } from '../progress.js';

export function registerEtl(program: Command, context: () => CliContext): void {
  const etl = program
    .command('etl')
    .description('the reporting ETL: customer, product, daily sales and cohort reports')
    .addHelpText(
      'after',
      `
Pipelines: ${PIPELINES.join(', ')}. See docs/etl.md.
Exit codes: 0 ok, 1 a pipeline failed / another run holds the lock / verify found differences,
2 unknown pipeline or bad flags.`,
    );

  etl
    .command('run')
    .description('bring the reports up to date (incremental; --full rebuilds and swaps in atomically)')
    .argument('[pipeline...]', 'pipelines to run (default: all)')
    .option('--full', 'rebuild from scratch into a shadow table and swap it in with RENAME TABLE')
    .option('--batch-size <n>', 'keys recomputed per transaction (default: etl.batchSize, 5000)')
    .option('--workers <n>', 'connections per customer pipeline in incremental runs, 1-16 (default 2)')
    .action(async (names: string[], flags: { full?: boolean; batchSize?: string; workers?: string }) => {
      const ctx = context();
      const pipelines = resolvePipelines(names);
      const batchSize =
        flags.batchSize === undefined ? undefined : positiveInt('--batch-size', flags.batchSize);
      const bar = progressBar(ctx.out, 'etl');
      const result = await runEtl(ctx.config, {
        pipelines,
        full: flags.full === true,
        batchSize: batchSize ?? ctx.config.etl.batchSize,
        ...(flags.workers === undefined ? {} : { workers: positiveInt('--workers', flags.workers) }),
        onProgress: etlProgressOn(bar),
      });
      bar.finish();
      ctx.out.result({ ok: true, ...result }, () => renderRun(result));
    });

  etl
    .command('status')
    .description('each pipeline state and the latest runs (etl_runs)')
    .option('--limit <n>', 'runs to show (default 20)')
    .action(async (flags: { limit?: string }) => {
      const ctx = context();
      const limit = flags.limit === undefined ? 20 : positiveInt('--limit', flags.limit);
      const s = await withDatabase(ctx.config, {}, (db) => etlStatus(db, { limit }));
      ctx.out.result({ ok: true, ...s }, () =>
        [
          table(
            ['pipeline', 'built', 'pending keys', 'watermark', 'last run'],
            s.pipelines.map((p) => [
              p.pipeline,
              p.built ? 'yes' : 'no',
              p.pendingKeys,
              p.lastChangeId,
              iso(p.lastRunAt),
            ]),
          ),
          '',
          `change log: ${s.changeLogRows} row(s) not yet dispatched`,
          '',
          table(
            [
              'run',
              'pipeline',
              'mode',
              'status',
              'started',
              'ms',
              'batches',
              'read',
              'written',
              'watermark',
              'error',
            ],
            s.runs.map((r) => [
              r.runId,
              r.pipeline,
              r.mode,
              r.status,
              iso(r.startedAt),
              r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
              r.batches,
              r.rowsRead,
              r.rowsWritten,
              `${r.watermarkBefore ?? '-'} → ${r.watermarkAfter ?? '-'}`,
              r.error,
            ]),
          ),
        ].join('\n'),
      );
    });

  etl
    .command('verify')
    .description('recompute every report from scratch and compare row by row; exit 1 on any difference')
    .argument('[pipeline...]', 'pipelines to verify (default: all)')
    .action(async (names: string[]) => {
      const ctx = context();
      const pipelines = resolvePipelines(names);
      const r = await verifyEtl(ctx.config, { pipelines });
      if (!r.ok) {
        if (!ctx.out.json) process.stdout.write(`${renderVerify(r)}\n`);
        const bad = r.pipelines.filter((p) => !p.ok);
        throw new MysqlopsError({
          code: 'E_ETL_VERIFY',
          message: `etl verify found differences in ${bad.map((p) => `${p.pipeline} (${p.missing} missing, ${p.extra} extra, ${p.different} different)`).join(', ')}${ctx.out.json ? `: ${JSON.stringify(bad.flatMap((p) => p.differences.map((d) => ({ pipeline: p.pipeline, ...d }))).slice(0, 20))}` : ''}`,
          hint:
            r.pendingChanges > 0
              ? `${r.pendingChanges} captured change(s) are not processed yet: run \`mysqlops etl run\` and verify again`
              : 'run `mysqlops etl run --full` to rebuild, and report the differences (they point at a pipeline bug)',
        });
      }
      ctx.out.result(r, () => renderVerify(r));
    });
}

/** Draws runEtl() progress on `bar`, logging each finished pipeline. */
export function etlProgressOn(bar: ProgressBar): (e: EtlProgress) => void {
  return (e) => {
    if (e.phase === 'done') bar.log(`  ${e.message}`);
    else if (e.total > 0) bar.update(e.done, e.total, e.pipeline ?? '');
  };
}

function renderRun(r: RunEtlResult): string {
  return [
    table(
      ['pipeline', 'mode', 'status', 'batches', 'read', 'written', 'watermark', 'ms'],
      r.pipelines.map((p) => [
        p.pipeline,
        p.mode,
        p.status,
        p.batches,
        p.rowsRead,
        p.rowsWritten,
        `${p.watermarkBefore} → ${p.watermarkAfter}`,
        p.ms,
      ]),
    ),
    '',
    `ETL of ${r.database} done in ${(r.ms / 1000).toFixed(1)} s`,
  ].join('\n');
}

function renderVerify(r: VerifyEtlResult): string {
  const lines = [
    table(
      ['report', 'rows', 'expected', 'missing', 'extra', 'different', 'ok'],
      r.pipelines.map((p) => [
        p.pipeline,
        p.rows,
        p.expectedRows,
        p.missing,
        p.extra,
        p.different,
        p.ok ? 'yes' : 'NO',
      ]),
    ),
  ];
  for (const p of r.pipelines) {
    for (const d of p.differences) {
      const cols = d.columns
        ?.map((c) => `${c.column}: expected ${fmt(c.expected)}, found ${fmt(c.actual)}`)
        .join('; ');
      lines.push(`  ${p.pipeline} ${d.kind} ${JSON.stringify(d.key)}${cols ? ` ${cols}` : ''}`);
    }
  }
  if (r.ok) lines.push('', 'every report matches a fresh recomputation');
  return lines.join('\n');
}

function fmt(v: unknown): string {
  return v instanceof Date ? v.toISOString() : JSON.stringify(v);
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString().replace('.000Z', 'Z') : null;
}

function positiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive whole number (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}
