/**
 * `loadSandboxSettings()`: only the sandbox's name and home, from the same layers as `loadConfig()`
 * (defaults < config file < its `environments.<env>` section < MYSQLOPS_SANDBOX / MYSQLOPS_HOME).
 * `mysqlops sandbox ...` needs nothing else, so a wrong DB_PORT or pool size must not stop it from
 * starting or reporting the local server.
 */
import * as path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { type Environ, envValue } from './env-vars.js';
import { chooseConfigFile, loadSandboxSections } from './file.js';
import { issuesFromZod } from './issues.js';
import { chooseEnvironment, deepFreeze, explicitConfigFile, type LoadConfigOptions } from './load.js';
import { defaultsFor, type SandboxConfig, sandboxSchema } from './schema.js';

/**
 * The validated sandbox settings. Same options as `loadConfig()`.
 *
 * @throws ConfigError for an unknown environment, an unreadable or unparsable config file, or a bad
 *   sandbox name or home, each named by where it came from. Other settings are not looked at.
 */
export function loadSandboxSettings(options: LoadConfigOptions = {}): SandboxConfig {
  const environ: Environ = options.environ ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const issues: ConfigIssue[] = [];
  const env = chooseEnvironment(options.env, environ, issues);
  const choice = chooseConfigFile(explicitConfigFile(options.configFile, environ, cwd), cwd, issues);
  const file = choice ? loadSandboxSections(choice, cwd, env.name, issues) : undefined;

  const merged: SandboxConfig = { ...defaultsFor(env.name, cwd).sandbox };
  for (const layer of [file?.top, file?.section]) {
    if (layer?.name !== undefined) merged.name = layer.name;
    if (layer?.home !== undefined) merged.home = layer.home;
  }
  const name = envValue(environ, 'MYSQLOPS_SANDBOX');
  if (name !== undefined) {
    const checked = sandboxSchema.shape.name.safeParse(name);
    if (checked.success) merged.name = checked.data;
    else issues.push({ path: 'MYSQLOPS_SANDBOX', message: checked.error.issues[0]?.message ?? 'invalid' });
  }
  const home = envValue(environ, 'MYSQLOPS_HOME');
  if (home !== undefined) merged.home = path.resolve(cwd, home);

  const parsed = sandboxSchema.safeParse(merged);
  if (!parsed.success) issues.push(...issuesFromZod(parsed.error, undefined, 'sandbox'));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return deepFreeze(parsed.data);
}
