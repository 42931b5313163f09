/**
 * A layer is a partial configuration from one source (defaults, config file, config file section,
 * environment variables), holding only values already checked and converted (numbers, Secrets, PEM
 * text, absolute paths). Layers are merged lowest first; a later defined value wins.
 */
import type { AlertsConfig } from '../alert/config-schema.js';
import type { MaintenanceConfig } from '../maintenance/config-schema.js';
import { type HealthFileSection, mergeHealth } from '../monitor/config-schema.js';
import type {
  BackupConfig,
  ConfigSections,
  ConnectionConfig,
  EtlConfig,
  MonitoringConfig,
  PoolConfig,
  RoutingConfig,
  SandboxConfig,
  ServeConfig,
  TransactionConfig,
} from './schema.js';

export interface ConfigLayer {
  connection?: Partial<Omit<ConnectionConfig, 'ssl'>> & { ssl?: Partial<ConnectionConfig['ssl']> };
  pool?: Partial<PoolConfig>;
  monitoring?: Partial<MonitoringConfig>;
  transactions?: Partial<TransactionConfig>;
  routing?: Partial<RoutingConfig>;
  sandbox?: Partial<SandboxConfig>;
  backup?: Partial<Omit<BackupConfig, 'schedule'>> & { schedule?: Partial<BackupConfig['schedule']> };
  etl?: { batchSize?: number; schedule?: Partial<EtlConfig['schedule']> };
  serve?: Partial<ServeConfig>;
  alerts?: Partial<AlertsConfig>;
  health?: HealthFileSection;
  maintenance?: Partial<MaintenanceConfig>;
}

/** `target` with every defined value of `source` copied over it (undefined never erases). */
function assignDefined<T extends object>(target: T, source: Partial<T> | undefined): T {
  if (!source) return target;
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

/** The defaults with each layer applied in order; inputs are not modified. */
export function mergeLayers(
  defaults: ConfigSections,
  ...layers: (ConfigLayer | undefined)[]
): ConfigSections {
  const { ssl, ...connection } = defaults.connection;
  const out: ConfigSections = {
    connection: { ...connection, ssl: { ...ssl } },
    pool: { ...defaults.pool },
    monitoring: { ...defaults.monitoring },
    transactions: { ...defaults.transactions },
    routing: { ...defaults.routing },
    sandbox: { ...defaults.sandbox },
    backup: { ...defaults.backup, schedule: { ...defaults.backup.schedule } },
    etl: { ...defaults.etl, schedule: { ...defaults.etl.schedule } },
    serve: { ...defaults.serve },
    alerts: { ...defaults.alerts },
    health: mergeHealth(defaults.health, undefined),
    maintenance: { ...defaults.maintenance },
  };
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.connection) {
      const { ssl: layerSsl, ...rest } = layer.connection;
      assignDefined(out.connection, rest);
      assignDefined(out.connection.ssl, layerSsl);
    }
    assignDefined(out.pool, layer.pool);
    assignDefined(out.monitoring, layer.monitoring);
    assignDefined(out.transactions, layer.transactions);
    assignDefined(out.routing, layer.routing);
    assignDefined(out.sandbox, layer.sandbox);
    if (layer.backup) {
      const { schedule, ...rest } = layer.backup;
      assignDefined(out.backup, rest);
      assignDefined(out.backup.schedule, schedule);
    }
    assignDefined(out.serve, layer.serve);
    assignDefined(out.alerts, layer.alerts);
    assignDefined(out.maintenance, layer.maintenance);
    out.health = mergeHealth(out.health, layer.health);
    if (layer.etl) {
      assignDefined(out.etl, { batchSize: layer.etl.batchSize });
      assignDefined(out.etl.schedule, layer.etl.schedule);
    }
  }
  return out;
}
