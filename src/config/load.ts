/**
 * `loadConfig()`: the one place configuration is read and validated. Layers, lowest first:
 * built-in defaults for the environment < config file top level < config file
 * `environments.<env>` section < environment variables. Every problem from every layer is collected
 * and thrown together in one ConfigError; the result is deep-frozen.
 */
import * as path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { Secret } from '../secret.js';
import { type Environ, envValue, layerFromEnv } from './env-vars.js';
import { type ConfigFileChoice, chooseConfigFile, loadConfigFile } from './file.js';
import { issuesFromZod } from './issues.js';
import { mergeLayers } from './layers.js';
import { crossFieldIssues } from './rules.js';
import {
  configSchema,
  defaultsFor,
  ENVIRONMENTS,
  type EnvironmentName,
  type MysqlopsConfig,
} from './schema.js';

/**
 * Where `loadConfig` looks: all optional, so a plain call reads `process.env` and the working directory as
 * the CLI does.
 */
export interface LoadConfigOptions {
  /**
   * Environment name, e.g. from `--env`. Wins over `MYSQLOPS_ENV`, which wins over `NODE_ENV` when
   * that is one of the four names (other NODE_ENV values are ignored). Default `development`.
   */
  env?: string;
  /**
   * Config file, e.g. from `--config`; relative to `cwd`. Else `MYSQLOPS_CONFIG`; else
   * `mysqlops.config.yaml`, `.yml` or `.json` in `cwd` if present. A named file must exist; the
   * default ones are optional.
   */
  configFile?: string;
  /** Environment variables. Default `process.env`; tests pass their own. */
  environ?: Record<string, string | undefined>;
  /** Directory that relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * Load and validate the configuration. Synchronous (it runs once, at startup).
 *
 * @throws ConfigError listing every issue found, each as `where: problem`, where `where` is an
 *   environment variable (`DB_PORT`) or a file and dot path (`mysqlops.config.yaml: pool.size`).
 *   Messages never contain a secret.
 * @example
 * ```ts
 * const config = loadConfig(); // the environment from MYSQLOPS_ENV or NODE_ENV (default development)
 * config.connection.password?.reveal(); // only where it is handed to the driver
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): MysqlopsConfig {
  const environ: Environ = options.environ ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const issues: ConfigIssue[] = [];

  const env = chooseEnvironment(options.env, environ, issues);
  const choice = chooseConfigFile(explicitConfigFile(options.configFile, environ, cwd), cwd, issues);
  const file = choice ? loadConfigFile(choice, cwd, issues) : undefined;
  const fromEnv = layerFromEnv(environ, cwd, issues);

  const sections = mergeLayers(defaultsFor(env.name, cwd), file?.top, file?.sections[env.name], fromEnv);
  if (env.known) issues.push(...crossFieldIssues(env.name, sections));

  const candidate: MysqlopsConfig = {
    env: env.name,
    ...(file ? { configFile: file.file } : {}),
    usesSandbox: !sections.connection.host && !sections.connection.socket,
    ...sections,
  };
  // Every layer was checked where it came from; this is the net that keeps the result honest.
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) issues.push(...issuesFromZod(parsed.error));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return deepFreeze(parsed.data);
}

/** The environment to use; an unknown name is an issue (and development is assumed to go on checking). */
export function chooseEnvironment(
  flag: string | undefined,
  environ: Environ,
  issues: ConfigIssue[],
): { name: EnvironmentName; known: boolean } {
  const fromEnvVar = envValue(environ, 'MYSQLOPS_ENV');
  const nodeEnv = envValue(environ, 'NODE_ENV');
  const [source, value] = flag
    ? ['env', flag]
    : fromEnvVar !== undefined
      ? ['MYSQLOPS_ENV', fromEnvVar]
      : ['NODE_ENV', nodeEnv !== undefined && isEnvironment(nodeEnv) ? nodeEnv : 'development'];
  if (isEnvironment(value)) return { name: value, known: true };
  issues.push({
    path: source,
    message: `unknown environment ${JSON.stringify(value)} (expected development, test, staging or production)`,
  });
  return { name: 'development', known: false };
}

function isEnvironment(value: string): value is EnvironmentName {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/** The file named by the caller or by MYSQLOPS_CONFIG, if any. */
export function explicitConfigFile(
  option: string | undefined,
  environ: Environ,
  cwd: string,
): ConfigFileChoice | undefined {
  if (option) return { file: path.resolve(cwd, option), source: 'configFile' };
  const fromEnv = envValue(environ, 'MYSQLOPS_CONFIG');
  return fromEnv === undefined ? undefined : { file: path.resolve(cwd, fromEnv), source: 'MYSQLOPS_CONFIG' };
}

/** Freeze plain objects and arrays all the way down; Secrets are left as they are (already immutable). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || value instanceof Secret || Object.isFrozen(value))
    return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
