/**
 * `mysqlops up`: the main job. For now: make sure a server runs (the sandbox when no server is
 * configured), verify the connection, print the status. Later steps (migrate, seed, ETL, serve)
 * hang off this command as they are built.
 */
import type { Command } from 'commander';
import { startSandbox } from '../../sandbox/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { collectStatus, renderStatus } from './status.js';

export function registerUp(program: Command, context: () => CliContext): void {
  program
    .command('up')
    .description(
      'main job: start the sandbox when no server is configured, verify the connection, print the status',
    )
    .action(async () => {
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
      const report = await withDatabase(config, { withDatabase: false }, (db) => collectStatus(db, config));
      ctx.out.result(report, () => `${renderStatus(report)}\n\nmysqlops is up.`);
    });
}
