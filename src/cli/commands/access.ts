/**
 * `mysqlops access apply|diff|verify`: converge the server to schemas/access.yaml, show drift, and
 * run the allow/deny matrix as each user. Parses flags, calls src/access, renders.
 */
import type { Command } from 'commander';
import { accessEndpoint } from '../../access/context.js';
import {
  type AccessChange,
  type AccessSpec,
  applyAccess,
  CredentialStore,
  DEFAULT_ACCESS_FILE,
  loadAccessFile,
  planAccess,
  verifyAccess,
} from '../../access/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

interface AccessFlags {
  file?: string;
  prefix?: string;
  credentialsDir?: string;
  showPasswords?: boolean;
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--file <path>', 'access file (default schemas/access.yaml of mysqlops)')
    .option('--prefix <p>', 'prepend to every role and user name (for isolated test runs)');
}

function loadSpec(flags: AccessFlags): AccessSpec {
  return loadAccessFile(
    flags.file ?? DEFAULT_ACCESS_FILE,
    flags.prefix === undefined ? {} : { prefix: flags.prefix },
  );
}

const changeRows = (changes: readonly AccessChange[]) => changes.map((c) => [c.kind, c.subject, c.detail]);

export function registerAccess(program: Command, context: () => CliContext): void {
  const access = program
    .command('access')
    .description('roles, users and grants from schemas/access.yaml: apply, diff, verify');

  withCommonOptions(access.command('apply'))
    .description(
      'converge the server to the access file (idempotent): create, grant, revoke, default roles, TLS',
    )
    .option('--credentials-dir <dir>', 'where generated passwords are stored (default <home>/credentials)')
    .option(
      '--show-passwords',
      'also print generated passwords, once (they are stored in 0600 files either way)',
    )
    .action(async (flags: AccessFlags) => {
      const ctx = context();
      const spec = loadSpec(flags);
      const ep = accessEndpoint(ctx.config);
      const credentials = new CredentialStore(flags.credentialsDir ?? ep.credentialsDir);
      const result = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
        applyAccess(db, spec, {
          database: ep.database,
          credentials,
          showPasswords: flags.showPasswords === true,
          onChange: (c) => ctx.out.progress(`${c.kind} ${c.subject} ${c.detail}`),
        }),
      );
      for (const w of result.warnings) ctx.out.notice(`warning: ${w}`);
      const report = {
        ok: result.failed === undefined,
        database: result.database,
        applied: result.applied.map(({ kind, subject, detail }) => ({ kind, subject, detail })),
        warnings: result.warnings,
        created: result.created.map((c) => ({
          user: c.user,
          host: c.host,
          file: c.file,
          ...(c.password ? { password: c.password.reveal() } : {}),
        })),
      };
      if (result.failed) {
        ctx.out.result(report, () => `applied ${result.applied.length} change(s) before the failure`);
        throw result.failed.error;
      }
      ctx.out.result(report, () => {
        if (result.applied.length === 0)
          return `access on ${result.database} is in sync with the file: nothing to do`;
        const lines = [table(['change', 'subject', 'detail'], changeRows(result.applied)), ''];
        for (const c of report.created) {
          lines.push(
            `created ${c.user}@${c.host}: password in ${c.file}${c.password ? ` (${c.password})` : ''}`,
          );
        }
        lines.push(`applied ${result.applied.length} change(s) to ${result.database}`);
        return lines.join('\n');
      });
    });

  withCommonOptions(access.command('diff'))
    .description(
      'list drift between the server and the access file without changing anything (exit 1 when there is drift)',
    )
    .action(async (flags: AccessFlags) => {
      const ctx = context();
      const spec = loadSpec(flags);
      const ep = accessEndpoint(ctx.config);
      const plan = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
        planAccess(db, spec, ep.database),
      );
      for (const w of plan.warnings) ctx.out.notice(`warning: ${w}`);
      const drift = plan.changes.map(({ kind, subject, detail, sql }) => ({ kind, subject, detail, sql }));
      ctx.out.result(
        { ok: drift.length === 0, database: plan.database, drift, warnings: plan.warnings },
        () =>
          drift.length === 0
            ? `access on ${plan.database} is in sync with the file`
            : `${table(['change needed', 'subject', 'detail'], changeRows(plan.changes))}\n\n${drift.length} difference(s); run mysqlops access apply to converge`,
      );
      if (drift.length > 0) process.exitCode = 1;
    });

  withCommonOptions(access.command('verify'))
    .description(
      'log in as each user and run the allow/deny matrix against the server (exit 1 on any mismatch)',
    )
    .option('--credentials-dir <dir>', "where the users' passwords are stored (default <home>/credentials)")
    .action(async (flags: AccessFlags) => {
      const ctx = context();
      const spec = loadSpec(flags);
      const ep = accessEndpoint(ctx.config);
      const credentials = new CredentialStore(flags.credentialsDir ?? ep.credentialsDir);
      const flavor = await withDatabase(ctx.config, { withDatabase: false }, async (db) => db.flavor);
      const result = await verifyAccess(spec, { ...ep, credentials, flavor });
      ctx.out.result(result, () => {
        const rows = result.checks.map((c) => [
          c.ok ? 'ok' : 'FAIL',
          c.user,
          c.expect,
          c.actual,
          c.description,
          c.ok ? '' : (c.detail ?? ''),
        ]);
        return `${table(['', 'user', 'expect', 'actual', 'check', 'detail'], rows)}\n\n${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`;
      });
      if (!result.ok) process.exitCode = 1;
    });
}
