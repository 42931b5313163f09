/**
 * `mysqlops up`: the main job. Make sure a server runs (the sandbox when no server is configured),
 * bring the schema up to date, fill an empty database with the default sample data, and print
 * the status, run the ETL and seal the audit trail, then serve the dashboard, /metrics and the
 * scheduler until Ctrl-C. Every step is idempotent, so running `up` again changes nothing.
 */
import type { Command } from 'commander';
import {
  type ApplyAuditResult,
  applyAuditIfInstalled,
  type SealAuditResult,
  sealAudit,
} from '../../audit/index.js';
import { quoteId } from '../../db/index.js';
import { type RunEtlResult, runEtl } from '../../etl/index.js';
import { type MigrateResult, migrate } from '../../migrate/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { SEED_TABLES, type SeedTable, seed } from '../../seed/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { progressBar } from '../progress.js';
import { etlProgressOn } from './etl.js';
import { renderSeed, type SeedReport, seedProgressOn, toReport } from './seed.js';
import { renderServing, type ServeFlags, startServing, stopOnSignal } from './serve.js';
import { collectStatus, renderStatus, type StatusReport } from './status.js';

export interface UpReport {
  ok: true;
  status: StatusReport;
  migrations: Pick<MigrateResult, 'database' | 'created' | 'applied'>;
  /** The audit triggers after `audit apply` (run after every migration); null without audit tables. */
  audit: ApplyAuditResult | null;
  /** The sample data loaded, or null when the database already held data. */
  seed: SeedReport | null;
  /** The ETL run after seeding (incremental; a full build the first time): every report filled. */
  etl: RunEtlResult;
  /** The audit rows sealed into hash-chained blocks at the end (null without audit tables). */
  sealed: SealAuditResult | null;
  /** Where the dashboard runs; null with --no-serve. */
  serving: { url: string; jobs: Array<{ job: string; at: Date | null }> } | null;
}

export function registerUp(program: Command, context: () => CliContext): void {
  program
    .command('up')
    .description(
      'main job: start the sandbox when no server is configured, migrate, seed an empty database, print the status',
    )
    .addHelpText(
      'after',
      `
Steps, each skipped when there is nothing to do (so running up again is a no-op):
  1. no DB_HOST/DB_SOCKET: start the local sandbox server (mysqlops sandbox start)
  2. create DB_NAME if missing and apply pending migrations (mysqlops migrate up)
  3. on the sandbox or in development/test, when the shop tables are all empty: load the default
     sample data (mysqlops seed); never in staging/production
  4. run the reporting ETL once (mysqlops etl run): full the first time, incremental after
  5. seal the audit rows written so far into hash-chained blocks (mysqlops audit seal)
  6. print the server status
  7. serve the dashboard, /metrics, the scheduled jobs and alerts until Ctrl-C (mysqlops serve);
     --no-serve stops after step 6`,
    )
    .option('--no-serve', 'stop after the status instead of serving the dashboard and scheduler')
    .option('--host <address>', 'address the dashboard binds (default 127.0.0.1)')
    .option('--port <n>', 'dashboard port (default 8080; 0 picks a free one)')
    .action(async (flags: ServeFlags & { serve?: boolean }) => {
      const ctx = context();
      const config = ctx.config;
      if (config.usesSandbox) {
        ctx.out.progress(`no DB_HOST configured: using the local sandbox "${config.sandbox.name}"`);
        await startSandbox({
          name: config.sandbox.name,
          home: config.sandbox.home,
          onProgress: (e) => ctx.out.progress(e.message),
        });
      }

      const migrated = await migrate(config, {
        onProgress: (e) => {
          if (e.step !== 'statement') ctx.out.progress(e.message);
        },
      });
      if (migrated.applied.length === 0) ctx.out.progress(`schema of ${migrated.database} is up to date`);
      const audit = await withDatabase(config, {}, (db) => applyAuditIfInstalled(db));
      if (audit && !audit.inSync)
        ctx.out.progress(`audit triggers updated on ${audit.audited.length} table(s)`);

      // Sample data belongs on the sandbox and in development/test, never in a real environment
      // that happens to be empty (a first deploy to production, say).
      const sampleDataAllowed = config.usesSandbox || config.env === 'development' || config.env === 'test';
      const filled = sampleDataAllowed ? await withDatabase(config, {}, (db) => tablesWithRows(db)) : [];
      let seeded: SeedReport | null = null;
      if (!sampleDataAllowed) {
        ctx.out.progress(
          `not seeding: sample data is loaded only on the sandbox or in development/test (this is ${config.env}; \`mysqlops seed\` loads it on purpose)`,
        );
      } else if (filled.length === 0) {
        const bar = progressBar(ctx.out, 'seeding sample data');
        const result = await seed(config, { onProgress: seedProgressOn(bar) });
        bar.finish();
        seeded = toReport(result);
      } else {
        ctx.out.progress(`not seeding: ${filled.join(', ')} already hold data`);
      }

      const etlBar = progressBar(ctx.out, 'reporting ETL');
      const etl = await runEtl(config, {
        batchSize: config.etl.batchSize,
        onProgress: etlProgressOn(etlBar),
      });
      etlBar.finish();

      // Seal what seeding and the ETL wrote, so `audit verify` covers it from the first start.
      const sealed = audit ? await withDatabase(config, {}, (db) => sealAudit(db)) : null;

      const status = await withDatabase(config, { withDatabase: false }, (db) => collectStatus(db, config));
      const serving = flags.serve === false ? null : await startServing(ctx, flags);
      const report: UpReport = {
        ok: true,
        status,
        migrations: { database: migrated.database, created: migrated.created, applied: migrated.applied },
        audit,
        seed: seeded,
        etl,
        sealed,
        serving: serving && { url: serving.url, jobs: serving.jobs },
      };
      ctx.out.result(report, () => renderUp(report));
      if (serving) {
        if (!ctx.out.json) ctx.out.notice(renderServing(serving));
        await stopOnSignal(ctx, serving);
      }
    });
}

/** The shop tables that hold at least one row (cheap: one indexed probe per table). */
async function tablesWithRows(db: { query: (sql: string) => Promise<unknown[]> }): Promise<SeedTable[]> {
  const filled: SeedTable[] = [];
  for (const table of SEED_TABLES) {
    if ((await db.query(`SELECT 1 FROM ${quoteId(table)} LIMIT 1`)).length > 0) filled.push(table);
  }
  return filled;
}

function renderUp(r: UpReport): string {
  const parts = [renderStatus(r.status), ''];
  const m = r.migrations;
  parts.push(
    m.applied.length === 0
      ? `schema: ${m.database} up to date`
      : `schema: applied ${m.applied.length} migration(s) to ${m.database}${m.created ? ' (database created)' : ''}: ${m.applied
          .map((a) => a.script)
          .join(', ')}`,
  );
  if (r.audit) parts.push(`audit: ${r.audit.audited.length} table(s) audited, triggers in sync`);
  if (r.seed) parts.push('', renderSeed(r.seed));
  else
    parts.push('sample data: skipped (the database already holds data, or this is not a development server)');
  const written = r.etl.pipelines.reduce((n, p) => n + p.rowsWritten, 0);
  parts.push(
    `reports: ${r.etl.pipelines.map((p) => `${p.pipeline} (${p.mode})`).join(', ')} up to date, ${written} row(s) written in ${(r.etl.ms / 1000).toFixed(1)} s`,
  );
  if (r.sealed?.latest) {
    parts.push(
      `audit trail: sealed ${r.sealed.rows} row(s) in ${r.sealed.blocks} block(s); latest seal ${r.sealed.latest.sealId}:${r.sealed.latest.sealHash}`,
    );
  }
  parts.push('', 'mysqlops is up.');
  return parts.join('\n');
}
