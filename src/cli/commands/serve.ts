/**
 * `mysqlops serve`: the dashboard, /metrics, the scheduler and the alert loop in one process, until
 * Ctrl-C or SIGTERM (then running jobs finish and everything closes). `up` ends with the same.
 */
import type { Command } from 'commander';
import { titleOf } from '../../alert/index.js';
import { MysqlopsError, UsageError } from '../../errors.js';
import { type ServeEvent, type ServeHandle, startServe } from '../../serve/index.js';
import type { CliContext } from '../context.js';

export interface ServeFlags {
  host?: string;
  port?: string;
  schedule?: boolean;
}

export function registerServe(program: Command, context: () => CliContext): void {
  program
    .command('serve')
    .description(
      'serve the live dashboard and /metrics, run the scheduled jobs (ETL, backups, audit seal) and alerts',
    )
    .option('--host <address>', 'address to bind (default: serve.host / SERVE_HOST, 127.0.0.1)')
    .option('--port <n>', 'port (default: serve.port / SERVE_PORT, 8080; 0 picks a free one)')
    .option('--no-schedule', 'dashboard and metrics only: run no scheduled jobs')
    .addHelpText(
      'after',
      `
Runs until Ctrl-C or SIGTERM; jobs already running finish first. Beyond the loopback the dashboard
needs a token: SERVE_TOKEN_FILE names a file holding it (send it as "Authorization: Bearer <token>",
or type it into the page). Schedules (cron, UTC) come from the config file: etl.schedule,
backup.schedule, maintenance.schedule, serve.auditSeal; alerts run every alerts.intervalMs.
See docs/serve.md.`,
    )
    .action(async (flags: ServeFlags) => {
      await serveUntilSignal(context(), flags);
    });
}

/** Start serving with `flags`, report where, and keep going until a signal; then close cleanly. */
export async function serveUntilSignal(ctx: CliContext, flags: ServeFlags): Promise<void> {
  const handle = await startServing(ctx, flags);
  ctx.out.result({ ok: true, url: handle.url, jobs: handle.jobs }, () => renderServing(handle));
  await stopOnSignal(ctx, handle);
}

/** Start serving with `flags`, the events reported on stderr. */
export function startServing(ctx: CliContext, flags: ServeFlags): Promise<ServeHandle> {
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  return startServe(ctx.config, {
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(port !== undefined ? { port } : {}),
    schedule: flags.schedule !== false,
    onEvent: (e) => report(ctx, e),
  });
}

/** Wait for Ctrl-C or SIGTERM, then close (running jobs finish first). */
export async function stopOnSignal(ctx: CliContext, handle: ServeHandle): Promise<void> {
  await untilSignal();
  ctx.out.notice('stopping: waiting for running jobs to finish');
  await handle.close();
}

export function renderServing(handle: ServeHandle): string {
  const lines = [`mysqlops is serving at ${handle.url} (metrics at ${handle.url}metrics)`];
  for (const { job, at } of handle.jobs)
    lines.push(`  ${job.padEnd(36)} next ${at ? at.toISOString() : 'never'}`);
  lines.push('Press Ctrl-C to stop.');
  return lines.join('\n');
}

function report(ctx: CliContext, e: ServeEvent): void {
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ');
  switch (e.type) {
    case 'job':
      if (e.event.type === 'finished')
        ctx.out.progress(`${stamp} ${e.event.job} finished in ${(e.event.ms / 1000).toFixed(1)} s`);
      else if (e.event.type === 'failed')
        ctx.out.notice(`${stamp} ${e.event.job} failed: ${describe(e.event.error)}`);
      else if (e.event.type === 'skipped')
        ctx.out.progress(`${stamp} ${e.event.job} skipped: ${e.event.reason}`);
      break;
    case 'alerts':
      for (const n of e.result.notifications) ctx.out.notice(`${stamp} alert ${n.kind}: ${titleOf(n)}`);
      for (const d of e.result.deliveries)
        if (!d.ok)
          ctx.out.notice(`${stamp} alert delivery to ${d.channel} failed: ${d.error ?? 'unknown error'}`);
      break;
    case 'error':
      ctx.out.notice(`${stamp} ${e.where}: ${describe(e.error)}`);
      break;
    case 'listening':
      break;
  }
}

function describe(error: unknown): string {
  if (error instanceof MysqlopsError) return `${error.message}${error.hint ? ` (fix: ${error.hint})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new UsageError(`--port expects 0-65535, got ${JSON.stringify(value)}`);
  return n;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
