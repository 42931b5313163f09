/**
 * `mysqlops users rotate-password USER`: a new generated password for one account of the access
 * file, stored in its 0600 file (MySQL keeps the old one valid until --discard-old).
 */
import type { Command } from 'commander';
import { accessEndpoint } from '../../access/context.js';
import {
  CredentialStore,
  DEFAULT_ACCESS_FILE,
  discardOldPassword,
  loadAccessFile,
  quoteAccount,
  rotatePassword,
} from '../../access/index.js';
import { UsageError } from '../../errors.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';

interface RotateFlags {
  host?: string;
  file?: string;
  prefix?: string;
  credentialsDir?: string;
  showPassword?: boolean;
  discardOld?: boolean;
}

export function registerUsers(program: Command, context: () => CliContext): void {
  const users = program.command('users').description('database accounts: password rotation');
  users
    .command('rotate-password')
    .argument('<user>', 'the user, as named on the server (with the prefix, if any)')
    .description(
      'give USER a new generated password and store it (0600); MySQL keeps the old one until --discard-old',
    )
    .option('--host <host>', 'the account host (default: the host the access file gives the user)')
    .option('--file <path>', 'access file used to find the host (default schemas/access.yaml)')
    .option('--prefix <p>', 'the prefix the access file was applied with')
    .option('--credentials-dir <dir>', 'where passwords are stored (default <home>/credentials)')
    .option('--show-password', 'also print the new password, once')
    .option(
      '--discard-old',
      'MySQL: end the dual-password window (drop the old password) instead of rotating',
    )
    .action(async (user: string, flags: RotateFlags) => {
      const ctx = context();
      let host = flags.host;
      if (host === undefined) {
        const spec = loadAccessFile(
          flags.file ?? DEFAULT_ACCESS_FILE,
          flags.prefix === undefined ? {} : { prefix: flags.prefix },
        );
        host = spec.users.find((u) => u.name === user)?.host;
      }
      if (host === undefined)
        throw new UsageError(`user ${JSON.stringify(user)} is not in the access file`, 'pass --host');
      quoteAccount(user, host); // hostile names are usage errors before anything connects
      const account = host;
      const ep = accessEndpoint(ctx.config);
      const credentials = new CredentialStore(flags.credentialsDir ?? ep.credentialsDir);
      if (flags.discardOld) {
        const done = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
          discardOldPassword(db, user, account),
        );
        ctx.out.result({ ok: true, user, host, discarded: done }, () =>
          done
            ? `old password of ${user}@${host} discarded`
            : 'this server keeps no old password (MariaDB): nothing to discard',
        );
        return;
      }
      const r = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
        rotatePassword(db, { user, host: account, credentials, showPassword: flags.showPassword === true }),
      );
      const data = {
        ok: true,
        user: r.user,
        host: r.host,
        file: r.file,
        oldPasswordRetained: r.oldPasswordRetained,
        ...(r.password ? { password: r.password.reveal() } : {}),
      };
      ctx.out.result(data, () =>
        [
          `new password for ${r.user}@${r.host} stored in ${r.file}${r.password ? ` (${r.password.reveal()})` : ''}`,
          r.oldPasswordRetained
            ? 'the old password keeps working until: mysqlops users rotate-password --discard-old'
            : 'the old password stopped working now; open sessions stay up, new logins need the new one',
        ].join('\n'),
      );
    });
}
