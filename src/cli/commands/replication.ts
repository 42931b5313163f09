/**
 * `mysqlops replication status|promote NODE`: the replica topology of the sandboxes (created with
 * `mysqlops sandbox start --replicas N`): each node's role, threads, lag and GTID position, and
 * promotion of a replica when the primary is gone (or a switchover with --force).
 */
import type { Command } from 'commander';
import { loadSandboxSettings } from '../../config/index.js';
import { UsageError } from '../../errors.js';
import { type PromoteResult, promote, type TopologyStatus, topologyStatus } from '../../replication/index.js';
import type { CliContext } from '../context.js';
import { keyValueTable, table } from '../output.js';

interface Flags {
  name?: string;
  force?: boolean;
  timeout?: string;
}

export function registerReplication(program: Command, context: () => CliContext): void {
  const replication = program
    .command('replication')
    .description('replica topology of the sandboxes: status, and promotion of a replica')
    .addHelpText(
      'after',
      `
A topology is made by: mysqlops sandbox start --name NAME --replicas N (nodes NAME, NAME-r1..rN).
Exit codes: 0 ok, 1 refused or failed (the reason names the more advanced replica), 2 unknown topology,
unknown node or bad flags.`,
    );
  const withName = (cmd: Command) =>
    cmd.option(
      '--name <name>',
      'topology name: its first primary sandbox (default: MYSQLOPS_SANDBOX or "default")',
    );

  withName(replication.command('status'))
    .description("each node's role, port, replica threads, lag and GTID position")
    .action(async (flags: Flags) => {
      const ctx = context();
      const status = await topologyStatus(where(ctx, flags));
      ctx.out.result({ ok: true, ...status }, () => renderTopology(status));
    });

  withName(replication.command('promote'))
    .argument('<node>', 'the replica to promote: its sandbox name (NAME-r1) or short name (r1)')
    .description('make NODE the primary when the primary is gone; only the most advanced replica is accepted')
    .option('--force', 'switch over while the primary is up: it is made read-only and becomes a replica')
    .option('--timeout <seconds>', 'bound for each wait for a node to apply what it must (default 60)')
    .action(async (node: string, flags: Flags) => {
      const ctx = context();
      const timeoutMs = flags.timeout === undefined ? undefined : seconds(flags.timeout) * 1000;
      const result = await promote({
        ...where(ctx, flags),
        node,
        force: flags.force === true,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        onProgress: (e) => ctx.out.progress(e.message),
      });
      ctx.out.result({ ok: true, ...result }, () => renderPromotion(result));
    });
}

function where(ctx: CliContext, flags: Flags): { home: string; name: string } {
  const settings = loadSandboxSettings({ env: ctx.globals.env, configFile: ctx.globals.config });
  return { home: settings.home, name: flags.name ?? settings.name };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new UsageError(`--timeout must be a whole number of seconds, got ${JSON.stringify(value)}`);
  return n;
}

/** The topology as a table: one row per node. Shared with `sandbox status`. */
export function renderTopology(status: TopologyStatus): string {
  const yesNo = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'no');
  const rows = status.nodes.map((n) => [
    n.name,
    n.role,
    n.state,
    n.port === null ? '-' : `${n.host}:${n.port}`,
    n.serverId,
    n.readOnly === null ? '-' : n.readOnly ? 'ON' : 'OFF',
    n.source ?? '-',
    n.role === 'primary' ? '-' : `${yesNo(n.ioRunning)}/${yesNo(n.sqlRunning)}`,
    n.lagSeconds ?? '-',
    n.gtid || '-',
  ]);
  const lines = [
    `topology ${status.name}: primary ${status.primary}`,
    table(
      ['node', 'role', 'state', 'address', 'server_id', 'read_only', 'source', 'io/sql', 'lag s', 'gtid'],
      rows,
    ),
  ];
  const errors = status.nodes.filter((n) => n.lastError || n.error);
  for (const n of errors) lines.push(`${n.name}: ${n.error ?? n.lastError}`);
  return lines.join('\n');
}

function renderPromotion(r: PromoteResult): string {
  return keyValueTable([
    ['topology', r.topology],
    ['new primary', r.primary],
    ['previous primary', `${r.previousPrimary} (now ${r.previousPrimaryRole})`],
    ['switchover', r.forced ? 'yes (--force)' : 'no'],
    ['gtid', r.gtid || '-'],
    ['following it', r.repointed.join(', ') || '-'],
    ['not running (left as they were)', r.skipped.join(', ') || undefined],
  ]);
}
