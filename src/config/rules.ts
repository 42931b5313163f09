/**
 * Rules that span several settings, checked on the merged configuration (each value alone was
 * already checked where it came from). Each issue is named by what the user should set.
 */
import { alertConfigIssues } from '../alert/config-schema.js';
import { isLoopbackHost } from '../dashboard/loopback.js';
import type { ConfigIssue } from '../errors.js';
import { healthConfigIssues } from '../monitor/config-schema.js';
import type { ConfigSections, EnvironmentName } from './schema.js';

/** Every cross-setting problem in `config` for `env`. */
export function crossFieldIssues(env: EnvironmentName, config: ConfigSections): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { connection, transactions } = config;
  const { ssl } = connection;

  if ((env === 'staging' || env === 'production') && !connection.host && !connection.socket) {
    issues.push({
      path: 'DB_HOST',
      message: `required in ${env} (the local sandbox is for development and test)`,
    });
  }
  if ((ssl.mode === 'verify-ca' || ssl.mode === 'verify-identity') && !ssl.ca) {
    issues.push({
      path: 'DB_SSL_CA',
      message: `required when the SSL mode is ${ssl.mode} (or set connection.ssl.caFile in the config file)`,
    });
  }
  if (Boolean(ssl.cert) !== Boolean(ssl.key)) {
    issues.push({
      path: ssl.cert ? 'DB_SSL_KEY' : 'DB_SSL_CERT',
      message:
        'a client certificate and its key go together: set both DB_SSL_CERT and DB_SSL_KEY, or neither',
    });
  }
  if (config.backup.encrypt && !config.backup.keyFile) {
    issues.push({
      path: 'BACKUP_KEY_FILE',
      message: 'required when ENCRYPT_BACKUPS is true (or set backup.keyFile in the config file)',
    });
  }
  if (!isLoopbackHost(config.serve.host) && !config.serve.tokenFile) {
    issues.push({
      path: 'SERVE_TOKEN_FILE',
      message: `required when serve.host is ${config.serve.host}: the dashboard and /metrics would be open to the network (bind 127.0.0.1, or set a token file)`,
    });
  }
  issues.push(...alertConfigIssues(config.alerts));
  issues.push(...healthConfigIssues(config.health));
  if (connection.replicas && connection.replicas.length > 0 && !connection.host && !connection.socket) {
    issues.push({
      path: 'connection.replicas',
      message:
        'replicas need a configured primary: set DB_HOST or DB_SOCKET (the local sandbox is a single server)',
    });
  }
  if (transactions.maxBackoffMs < transactions.baseBackoffMs) {
    issues.push({
      path: 'transactions.maxBackoffMs',
      message: `must be at least transactions.baseBackoffMs (${transactions.maxBackoffMs} < ${transactions.baseBackoffMs})`,
    });
  }
  return issues;
}
