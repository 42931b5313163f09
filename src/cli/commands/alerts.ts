/**
 * `mysqlops alerts check [--dry-run]`: run the health checks once, evaluate the alert rules against
 * the states kept in the state file, send what is due, print every alert's state. Made for cron.
 */
import type { Command } from 'commander';
import {
  type AlertRunResult,
  alertStateFile,
  checkAlerts,
  notifiersFromConfig,
  sampleFromHealth,
  sendTestNotification,
  titleOf,
} from '../../alert/index.js';
import { DatabaseManager } from '../../db/index.js';
import { MysqlopsError } from '../../errors.js';
import { type HealthReport, runHealthChecks } from '../../monitor/index.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerAlerts(program: Command, context: () => CliContext): void {
  const alerts = program
    .command('alerts')
    .description('alert rules on the health checks, with Slack and e-mail notifications')
    .addHelpText(
      'after',
      `
Channels: SLACK_WEBHOOK (incoming webhook URL), EMAIL_ALERTS (recipients) with SMTP_URL. See docs/alerts.md.`,
    );

  alerts
    .command('check')
    .description(
      'run the health checks once, evaluate the rules, send due notifications, print the alert states',
    )
    .option('--dry-run', 'evaluate and print what would be sent; send nothing, change no state')
    .addHelpText(
      'after',
      `
States are kept between runs in alerts.stateFile (ALERTS_STATE_FILE; default <MYSQLOPS_HOME>/alerts/state.json),
so a rule's forMs wait spans runs: run it from cron every minute or so.
Exit codes: 0 ok (also when alerts fire), 1 a notification reached no channel / state file unusable /
another run holds the state file, 2 bad configuration.`,
    )
    .action(async (flags: { dryRun?: boolean }) => {
      const ctx = context();
      const config = ctx.config;
      const dryRun = flags.dryRun === true;
      ctx.out.progress('running the health checks');
      const report = await healthReport(ctx);
      const result = await checkAlerts(sampleFromHealth(report, { at: new Date() }), config, { dryRun });
      const channels = notifiersFromConfig(config.alerts).map((n) => n.channel);
      const undelivered = result.notifications.filter(
        (n) =>
          !dryRun &&
          channels.length > 0 &&
          !result.deliveries.some((d) => d.ok && d.key === n.alert.key && d.kind === n.kind),
      );
      ctx.out.result(
        {
          ok: undelivered.length === 0,
          dryRun,
          at: result.at,
          health: report.status,
          stateFile: alertStateFile(config),
          channels,
          alerts: result.alerts,
          notifications: result.notifications.map((n) => ({
            key: n.alert.key,
            kind: n.kind,
            repeat: n.repeat,
            title: titleOf(n),
          })),
          deliveries: result.deliveries,
        },
        () => render(result, channels, report),
      );
      if (undelivered.length > 0) {
        // An error, so --quiet keeps it; stderr, so --json keeps stdout one document.
        process.stderr.write(
          `error: ${undelivered.length} notification(s) reached no channel; they are sent again on the next run\n`,
        );
        process.exitCode = 1;
      }
    });

  registerTest(alerts, context);
}

function registerTest(alerts: Command, context: () => CliContext): void {
  alerts
    .command('test')
    .description('send one test notification through every configured channel (no state is touched)')
    .action(async () => {
      const ctx = context();
      const channels = notifiersFromConfig(ctx.config.alerts).map((n) => n.channel);
      if (channels.length === 0)
        throw new MysqlopsError({
          code: 'E_CONFIG',
          message: 'no alert channel is configured',
          hint: 'set SLACK_WEBHOOK, or EMAIL_ALERTS with SMTP_URL (docs/alerts.md)',
          exitCode: 2,
        });
      const { notification, deliveries } = await sendTestNotification(ctx.config);
      const ok = deliveries.every((d) => d.ok);
      ctx.out.result({ ok, title: titleOf(notification), deliveries }, () =>
        deliveries
          .map(
            (d) =>
              `${d.channel}: ${d.ok ? 'delivered' : `failed after ${d.attempts} attempt(s): ${d.error}`}`,
          )
          .join('\n'),
      );
      if (!ok) {
        process.stderr.write('error: the test notification did not reach every channel\n');
        process.exitCode = 1;
      }
    });
}

/** The health report; an unreachable server is a critical `server` check, not an error. */
async function healthReport(ctx: CliContext): Promise<HealthReport> {
  const config = ctx.config;
  // No database selected: a missing DB_NAME schema must not read as "server unreachable".
  const db = new DatabaseManager({
    ...config,
    connection: { ...config.connection, database: undefined, replicas: [] },
    pool: { ...config.pool, size: Math.min(config.pool.size, 2) },
  });
  try {
    return await runHealthChecks(db, config);
  } finally {
    await db.close();
  }
}

function render(r: AlertRunResult, channels: readonly string[], report: HealthReport): string {
  const active = r.alerts.filter((a) => a.state !== 'inactive');
  const lines = [
    `health: ${report.status} (${report.checks.length} checks); alerts: ${r.alerts.length}, ${active.length} not inactive`,
  ];
  if (active.length > 0) {
    lines.push(
      '',
      table(
        ['alert', 'state', 'severity', 'value', 'threshold', 'since'],
        active.map((a) => [
          a.key,
          a.state,
          a.severity,
          a.value === null ? null : `${a.value}${a.unit ? ` ${a.unit}` : ''}`,
          a.threshold,
          a.state === 'firing' ? a.firingSince : a.state === 'resolved' ? a.resolvedAt : a.activeSince,
        ]),
      ),
    );
  }
  if (r.notifications.length > 0) {
    const to = channels.length > 0 ? channels.join(', ') : 'no channel configured';
    lines.push('', r.dryRun ? `would send (${to}):` : `notifications (${to}):`);
    for (const n of r.notifications) {
      const outcomes = r.deliveries
        .filter((d) => d.key === n.alert.key && d.kind === n.kind)
        .map((d) => `${d.channel} ${d.ok ? 'ok' : `failed after ${d.attempts} attempt(s): ${d.error}`}`);
      lines.push(`  ${titleOf(n)}${outcomes.length > 0 ? `  [${outcomes.join('; ')}]` : ''}`);
    }
  } else {
    lines.push('', 'nothing to send');
  }
  return lines.join('\n');
}
