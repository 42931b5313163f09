/**
 * `mysqlops config server|check`: a recommended, commented my.cnf for a machine, and a comparison of
 * the running server with it. Advice is not failure: `check` exits 0 whatever it finds, 1 only when
 * it cannot reach the server; bad flags exit 2.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  type ConfigCheckReport,
  checkServerConfig,
  parseSize,
  recommendServerConfig,
  type ServerConfigInput,
  type TuningFlavor,
  type Workload,
} from '../../tuning/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

interface SizeFlags {
  memory?: string;
  cores?: string;
  workload?: string;
}

function sizeInput(flags: SizeFlags): Omit<ServerConfigInput, 'flavor' | 'version'> {
  const input: Omit<ServerConfigInput, 'flavor' | 'version'> = {};
  if (flags.memory !== undefined) input.memoryBytes = parseSize(flags.memory, 'memory');
  if (flags.cores !== undefined) {
    if (!/^\s*\d+\s*$/.test(flags.cores)) {
      throw new UsageError(`cores ${JSON.stringify(flags.cores)} is not a whole number`, 'e.g. --cores 8');
    }
    input.cores = Number(flags.cores);
  }
  if (flags.workload !== undefined) input.workload = flags.workload as Workload;
  return input;
}

export function registerConfig(program: Command, context: () => CliContext): void {
  const config = program
    .command('config')
    .description('server configuration: recommend a my.cnf, check a server');
  config
    .command('server')
    .description('print a commented my.cnf ([mysqld]) for this machine or the one described')
    .option('--memory <size>', "the server machine's memory, e.g. 16G (default: this machine's)")
    .option('--cores <n>', "the server machine's CPU cores (default: this machine's)")
    .option('--workload <kind>', 'oltp (default) or mixed (OLTP plus reporting)')
    .option('--flavor <flavor>', 'mariadb (default) or mysql')
    .option('--server-version <version>', 'server version, e.g. 10.11 or 8.0.36 (default 10.11 / 8.0.36)')
    .addHelpText('after', '\nEach value carries its reason; see docs/operations/server-config.md.')
    .action((flags: SizeFlags & { flavor?: string; serverVersion?: string }) => {
      const ctx = context();
      const rec = recommendServerConfig({
        ...sizeInput(flags),
        ...(flags.flavor === undefined ? {} : { flavor: flags.flavor as TuningFlavor }),
        ...(flags.serverVersion === undefined ? {} : { version: flags.serverVersion }),
      });
      const { text, ...data } = rec;
      ctx.out.result({ ok: true, ...data }, () => text.trimEnd());
    });
  config
    .command('check')
    .description("compare the running server's variables with the recommendation and explain each difference")
    .option('--memory <size>', "the server machine's memory, e.g. 16G (default: this machine's)")
    .option('--cores <n>', "the server machine's CPU cores (default: this machine's)")
    .option('--workload <kind>', 'oltp (default) or mixed (OLTP plus reporting)')
    .addHelpText(
      'after',
      `
Thresholds: docs/operations/server-config.md. Memory and cores default to this machine's: pass them
when the server runs elsewhere. Exit codes: 0 advice given (whatever it says), 1 server unreachable, 2 bad flags.`,
    )
    .action(async (flags: SizeFlags) => {
      const ctx = context();
      const input = sizeInput(flags);
      // Validate the flags before connecting, so a typo is exit 2 even when the server is down.
      recommendServerConfig(input);
      const report = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
        checkServerConfig(db, input),
      );
      ctx.out.result({ ok: true, ...report }, () => renderCheck(report));
    });
}

const MARK: Record<string, string> = { ok: 'ok', info: 'info', warning: 'WARN' };

export function renderCheck(r: ConfigCheckReport): string {
  const order = { warning: 0, info: 1, ok: 2 } as const;
  const findings = [...r.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  const rows = findings.map((f) => [MARK[f.severity], f.variable, f.current ?? '-', f.recommended, f.reason]);
  const obs = r.observations.map((o) => [MARK[o.severity], o.name, o.value ?? '-', o.threshold, o.advice]);
  const { summary } = r;
  return [
    `${r.server}: recommendation for ${Math.round(r.recommendation.memoryBytes / 2 ** 30)}G memory, ${r.recommendation.cores} cores, ${r.recommendation.workload}`,
    '',
    table(['status', 'variable', 'current', 'recommended', 'why'], rows),
    '',
    table(['status', 'observation', 'value', 'threshold', 'advice'], obs),
    '',
    `${summary.warning} warning(s), ${summary.info} info, ${summary.ok} ok`,
  ].join('\n');
}
