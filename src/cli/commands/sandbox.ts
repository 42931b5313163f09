/**
 * `mysqlops sandbox start|stop|status|destroy`: the private local server under
 * MYSQLOPS_HOME/sandbox/NAME (default ./.mysqlops/sandbox/default).
 */
import type { Command } from 'commander';
import { loadSandboxSettings } from '../../config/index.js';
import { UsageError } from '../../errors.js';
import {
  destroyTopology,
  MAX_REPLICAS,
  readTopology,
  startTopology,
  type TopologyStatus,
  topologyStatus,
} from '../../replication/index.js';
import {
  destroySandbox,
  parsePort,
  type SandboxInfo,
  type SandboxOptions,
  sandboxStatus,
  startSandbox,
  stopSandbox,
} from '../../sandbox/index.js';
import type { CliContext } from '../context.js';
import { keyValueTable } from '../output.js';
import { renderTopology } from './replication.js';
import {
  galeraDestroy,
  galeraStart,
  galeraStatus,
  galeraStop,
  isGaleraCluster,
  parseGaleraNodes,
} from './sandbox-galera.js';

interface SandboxFlags {
  name?: string;
  port?: number;
  yes?: boolean;
  replicas?: number;
  galera?: number;
}

export function registerSandbox(program: Command, context: () => CliContext): void {
  const sandbox = program
    .command('sandbox')
    .description('run a private local database server (for development, tests and demos)')
    .addHelpText(
      'after',
      `
The sandbox lives in MYSQLOPS_HOME/sandbox/NAME (default ./.mysqlops/sandbox/default): loopback and a
unix socket only, ROW binlog with GTID, performance_schema, TLS with generated certificates, and a
generated root password in root.password (mode 0600). Commands that find no DB_HOST use it.`,
    );

  const withName = (cmd: Command) =>
    cmd.option('--name <name>', 'sandbox name (default: MYSQLOPS_SANDBOX or "default")');

  withName(sandbox.command('start'))
    .description('initialise (first time) and start the sandbox; does nothing when it already runs')
    .option(
      '--port <port>',
      'TCP port on 127.0.0.1 (default: the one used before, else a free one)',
      (value: string) => parsePort(value),
    )
    .option(
      '--replicas <n>',
      'also run N GTID replicas NAME-r1..rN, provisioned from a backup of this sandbox (1-9)',
      parseReplicas,
    )
    .option(
      '--galera <n>',
      'run a Galera cluster of N MariaDB nodes NAME-g1..gN instead (stop/status/destroy --name NAME then act on all)',
      parseGaleraNodes,
    )
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
      if (flags.galera !== undefined) {
        if (flags.replicas !== undefined || flags.port !== undefined)
          throw new UsageError(
            '--galera cannot be combined with --replicas or --port',
            'node ports are picked per node',
          );
        await galeraStart(ctx, options(ctx, flags), flags.galera);
        return;
      }
      const info = await startSandbox({
        ...options(ctx, flags),
        onProgress: (e) => ctx.out.progress(e.message),
      });
      if (flags.replicas === undefined) {
        ctx.out.result(info, () => render(info));
        return;
      }
      const opts = options(ctx, flags);
      const topology = await startTopology({
        home: opts.home as string,
        name: opts.name,
        replicas: flags.replicas,
        onProgress: (e) => ctx.out.progress(e.message),
      });
      ctx.out.result({ ...info, topology }, () => withTopology(info, topology));
    });

  withName(sandbox.command('stop'))
    .description('stop the sandbox gracefully (kills it if it does not stop within 60 s)')
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
      if (isGaleraCluster(options(ctx, flags))) return galeraStop(ctx, options(ctx, flags));
      const info = await stopSandbox({
        ...options(ctx, flags),
        onProgress: (e) => ctx.out.progress(e.message),
      });
      ctx.out.result(info, () => render(info));
    });

  withName(sandbox.command('status'))
    .description('say whether the sandbox runs, where, and why it failed if it crashed (exit 1 when crashed)')
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
      const opts = options(ctx, flags);
      if (isGaleraCluster(opts)) return galeraStatus(ctx, opts);
      const info = await sandboxStatus(opts);
      const topology = readTopology(opts)
        ? await topologyStatus({ home: opts.home as string, name: opts.name })
        : undefined;
      ctx.out.result(topology ? { ...info, topology } : info, () => withTopology(info, topology));
      if (info.state === 'crashed') process.exitCode = 1;
    });

  withName(sandbox.command('destroy'))
    .description('stop the sandbox and delete its directory, data included')
    .option('--yes', 'confirm that the data may be deleted')
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
      const opts = options(ctx, flags);
      if (!flags.yes) {
        const info = await sandboxStatus(opts);
        throw new UsageError(
          `this deletes ${info.dir} and all data in it`,
          'run again with --yes to confirm',
        );
      }
      if (isGaleraCluster(opts)) return galeraDestroy(ctx, opts);
      if (readTopology(opts)) {
        // A replica topology goes as a whole: every node (replicas, a promoted primary) and its record.
        const nodes = await destroyTopology({ home: opts.home as string, name: opts.name });
        ctx.out.result(
          { ok: true, destroyed: opts.name, nodes },
          () => `topology "${opts.name}" destroyed: ${nodes.join(', ')}`,
        );
        return;
      }
      await destroySandbox({ ...opts, onProgress: (e) => ctx.out.progress(e.message) });
      ctx.out.result({ ok: true, destroyed: opts.name }, () => `sandbox "${opts.name}" destroyed`);
    });
}

/**
 * The sandbox to act on. Only the sandbox settings are read (not the whole configuration), so a
 * wrong DB_PORT or pool size cannot stop anyone from starting or inspecting the local server.
 */
function options(ctx: CliContext, flags: SandboxFlags): SandboxOptions & { name: string } {
  const settings = loadSandboxSettings({ env: ctx.globals.env, configFile: ctx.globals.config });
  return {
    name: flags.name ?? settings.name,
    home: settings.home,
    ...(flags.port !== undefined ? { port: flags.port } : {}),
  };
}

/** `--replicas`: a whole number from 1 to 9. */
function parseReplicas(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS)
    throw new UsageError(`invalid --replicas ${JSON.stringify(value)}: expected 1 to ${MAX_REPLICAS}`);
  return n;
}

/** The sandbox, then its replica topology when it has one. */
function withTopology(info: SandboxInfo, topology: TopologyStatus | undefined): string {
  return topology ? `${render(info)}\n\n${renderTopology(topology)}` : render(info);
}

function render(info: SandboxInfo): string {
  const rows: Array<[string, string | number | undefined]> = [
    ['sandbox', info.name],
    ['state', info.state],
    ['pid', info.pid],
    ['server', info.version ? `${info.flavor} ${info.version}` : info.flavor],
    ['host', info.port ? `${info.host}:${info.port}` : undefined],
    ['socket', info.socket],
    ['directory', info.dir],
    ['root password', info.passwordFile],
  ];
  const text = keyValueTable(rows);
  if (info.state === 'crashed' && info.errorLogTail?.length) {
    return `${text}\n\nlast lines of the error log:\n${info.errorLogTail.map((l) => `  ${l}`).join('\n')}`;
  }
  return text;
}
