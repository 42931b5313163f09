/**
 * `DatabaseConfig.getConfig(env)`: the blueprint's entry point, kept so code written against the
 * blueprint (`new DatabaseManager(DatabaseConfig.getConfig('production'))`) works unchanged.
 */
import { type LoadConfigOptions, loadConfig } from './load.js';
import type { MysqlopsConfig } from './schema.js';

/**
 * The configuration entry point of the original blueprint, kept for code written against it. New code calls
 * `loadConfig` directly.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the blueprint's public name and shape
export class DatabaseConfig {
  /**
   * The validated configuration for `env` (default: `MYSQLOPS_ENV`, then `NODE_ENV`, then
   * development), read from the environment variables and the optional config file. Same as
   * `loadConfig({ ...options, env })`; each call reads afresh.
   *
   * @throws ConfigError listing every issue.
   * @example
   * ```ts
   * const config = DatabaseConfig.getConfig('production'); // needs DB_HOST (or DB_SOCKET)
   * ```
   */
  static getConfig(env?: string, options: Omit<LoadConfigOptions, 'env'> = {}): MysqlopsConfig {
    return loadConfig({ ...options, env });
  }
}
