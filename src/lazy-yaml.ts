/**
 * The YAML parser, loaded on first use: an application importing mysqlops for its connection
 * manager reads no YAML, and the parser costs a process several megabytes (the idle-RSS goal of
 * bench/connection). `require` keeps the callers synchronous; the package ships CommonJS.
 */
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}
