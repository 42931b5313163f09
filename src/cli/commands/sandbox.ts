/**
 * `mysqlops sandbox start|stop|status|destroy`: the private local server under
 * MYSQLOPS_HOME/sandbox/NAME (default ./.mysqlops/sandbox/default).
 */
import type { Command } from 'commander';
import { loadSandboxSettings } from '../../config/index.js';
import { UsageError } from '../../errors.js';
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

interface SandboxFlags {
  name?: string;
  port?: number;
  yes?: boolean;
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
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
      const info = await startSandbox({
        ...options(ctx, flags),
        onProgress: (e) => ctx.out.progress(e.message),
      });
      ctx.out.result(info, () => render(info));
    });

  withName(sandbox.command('stop'))
    .description('stop the sandbox gracefully (kills it if it does not stop within 60 s)')
    .action(async (flags: SandboxFlags) => {
      const ctx = context();
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
      const info = await sandboxStatus(options(ctx, flags));
      ctx.out.result(info, () => render(info));
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
