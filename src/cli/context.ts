/**
 * What every command gets: the global flags, output, and the configuration loaded once (lazily,
 * so `--help` and `sandbox` work even when the database settings are wrong).
 */
import { loadConfig, type MysqlopsConfig } from '../config/index.js';
import { Output } from './output.js';

export interface GlobalOptions {
  env?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

export class CliContext {
  readonly globals: GlobalOptions;
  readonly out: Output;
  #config: MysqlopsConfig | undefined;

  constructor(globals: GlobalOptions) {
    this.globals = globals;
    this.out = new Output({ json: globals.json === true, quiet: globals.quiet === true });
  }

  /** The validated configuration; throws ConfigError (exit 2) listing every problem. */
  get config(): MysqlopsConfig {
    this.#config ??= loadConfig({ env: this.globals.env, configFile: this.globals.config });
    return this.#config;
  }
}
