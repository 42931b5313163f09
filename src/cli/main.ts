/**
 * The `mysqlops` command: parses flags, hands each command to its module in ./commands, and maps
 * every failure to one clear message and an exit code (0 ok, 1 operational failure, 2 usage or
 * configuration error). Anything that is not a MysqlopsError is a bug and is shown with its stack.
 */
import { Writable } from 'node:stream';
import { Command, CommanderError, Option } from 'commander';
import { MysqlopsError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerAccess } from './commands/access.js';
import { registerAlerts } from './commands/alerts.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerConfig } from './commands/config.js';
import { registerEtl } from './commands/etl.js';
import { registerHealth } from './commands/health.js';
import { registerMaintain } from './commands/maintain.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMonitor } from './commands/monitor.js';
import { registerReplication } from './commands/replication.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSeed } from './commands/seed.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerUp } from './commands/up.js';
import { registerUsers } from './commands/users.js';
import { CliContext, type GlobalOptions } from './context.js';
import { Output } from './output.js';

export function buildProgram(): { program: Command; context: () => CliContext } {
  const program = new Command('mysqlops');
  let ctx: CliContext | undefined;
  const context = () => {
    ctx ??= new CliContext(program.opts<GlobalOptions>());
    return ctx;
  };
  program
    .description('Run a MySQL/MariaDB database the way the best DBAs do.')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--env <name>', 'environment: development, test, staging or production').env('MYSQLOPS_ENV'),
    )
    .addOption(new Option('--config <file>', 'configuration file (YAML or JSON)').env('MYSQLOPS_CONFIG'))
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('-q, --quiet', 'print only results and errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `
Connection comes from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (or DB_PASSWORD_FILE), DB_NAME, DB_SOCKET
and DB_SSL_*; without DB_HOST/DB_SOCKET the local sandbox is used (mysqlops sandbox start).
Exit codes: 0 success, 1 operational failure, 2 usage or configuration error.`,
    );
  registerUp(program, context);
  registerStatus(program, context);
  registerSandbox(program, context);
  registerMigrate(program, context);
  registerSeed(program, context);
  registerAudit(program, context);
  registerEtl(program, context);
  registerAccess(program, context);
  registerUsers(program, context);
  registerBackup(program, context);
  registerServe(program, context);
  registerAlerts(program, context);
  registerHealth(program, context);
  registerMonitor(program, context);
  registerReplication(program, context);
  registerMaintain(program, context);
  registerConfig(program, context);
  return { program, context };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { program, context } = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return reportError(err, () => context().out);
  }
}

function reportError(err: unknown, out: () => Output): number {
  let output: Output;
  try {
    output = out();
  } catch {
    output = new Output({ json: process.argv.includes('--json'), quiet: false });
  }
  if (err instanceof CommanderError) {
    // commander already printed its message on stderr; help and version are successes.
    if (err.exitCode === 0) return 0;
    if (output.json || process.argv.includes('--json')) {
      // The JSON document still belongs on stdout; stderr already has commander's words.
      new Output({ json: true, quiet: true }, process.stdout, NOWHERE).error(
        'E_USAGE',
        err.message.replace(/^error: /, ''),
        'run mysqlops --help (or mysqlops <command> --help) for usage',
      );
    }
    return 2;
  }
  if (err instanceof MysqlopsError) {
    output.error(err.code, err.message, err.hint);
    return err.exitCode;
  }
  process.stderr.write('mysqlops hit an internal error (a bug). Please report it with this output:\n');
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** A stream that drops what it is given (for output that commander has already written). */
const NOWHERE = new Writable({ write: (_chunk, _encoding, done) => done() });
