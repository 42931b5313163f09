/**
 * The environment of the processes the sandbox starts (the server, mariadb-install-db, openssl, the
 * version probe): ours without anything secret. None of them needs a credential from our
 * environment (the root password reaches the server through an init file), and a detached server
 * would otherwise carry DB_PASSWORD in /proc/<pid>/environ for as long as it runs.
 */

/** Names that look like they hold a secret. */
const SECRET_NAME = /PASSWORD|SECRET|KEY|TOKEN/i;
/** Secrets whose names do not say so, and our own connection settings, which no child needs. */
const DROPPED = (name: string) => name === 'MYSQL_PWD' || name.startsWith('DB_');

/** `env` (default: this process's) without the variables a child must not see. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SECRET_NAME.test(name) || DROPPED(name)) continue;
    out[name] = value;
  }
  return out;
}
