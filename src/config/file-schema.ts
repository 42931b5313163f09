/**
 * The schema of the optional config file (YAML or JSON). It has the sections of `MysqlopsConfig`,
 * every key optional, plus `environments.<name>` sections that override the top level for one
 * environment. Files are named instead of inlined: `passwordFile`, `ssl.caFile`, `ssl.certFile`,
 * `ssl.keyFile` (relative paths are relative to the config file). Unknown keys are refused.
 *
 * @example
 * ```yaml
 * connection:
 *   user: app_user
 *   database: app_db
 * pool:
 *   size: 15
 * environments:
 *   production:
 *     connection:
 *       host: db.internal
 *       passwordFile: /run/secrets/db_password
 *       ssl: { mode: verify-identity, caFile: /etc/ssl/db-ca.pem }
 * ```
 */
import { z } from 'zod';
import { alertsFileSchema } from '../alert/config-schema.js';
import { maintenanceSchema } from '../maintenance/config-schema.js';
import { healthFileSchema } from '../monitor/config-schema.js';
import { kindOf, secretText, strictObject, text } from './fields.js';
import {
  backupSchema,
  connectionSchema,
  etlSchema,
  monitoringSchema,
  poolSchema,
  replicaSchema,
  routingSchema,
  sandboxSchema,
  serveSchema,
  sslSchema,
  transactionsSchema,
} from './schema.js';

const c = connectionSchema.shape;

const fileSsl = strictObject({
  mode: sslSchema.shape.mode.optional(),
  caFile: text().optional(),
  certFile: text().optional(),
  keyFile: text().optional(),
});

const r = replicaSchema.shape;

/** A replica as the file writes it: the password preferably from `passwordFile`. */
const fileReplica = strictObject({
  host: r.host,
  port: r.port,
  socket: r.socket,
  user: r.user,
  password: secretText().optional(),
  passwordFile: text().optional(),
}).refine((node) => node.host !== undefined || node.socket !== undefined, {
  error: 'needs a host or a socket',
});

const fileConnection = strictObject({
  host: c.host,
  port: c.port.optional(),
  socket: c.socket,
  user: c.user.optional(),
  /** Allowed, but prefer `passwordFile` so the file can be committed or shared. */
  password: secretText().optional(),
  passwordFile: text().optional(),
  database: c.database,
  ssl: fileSsl.optional(),
  connectTimeoutMs: c.connectTimeoutMs.optional(),
  /** Replicas or Galera nodes; see `routing`. */
  replicas: z
    .array(fileReplica, { error: (iss) => `expected a list of servers, got ${kindOf(iss.input)}` })
    .max(32, { error: 'at most 32 replicas' })
    .optional(),
});

const sectionShape = {
  connection: fileConnection.optional(),
  pool: poolSchema.partial().optional(),
  monitoring: monitoringSchema.partial().optional(),
  transactions: transactionsSchema.partial().optional(),
  routing: routingSchema.partial().optional(),
  sandbox: sandboxSchema.partial().optional(),
  backup: backupSchema
    .extend({ schedule: backupSchema.shape.schedule.partial().optional() })
    .partial()
    .optional(),
  etl: strictObject({
    batchSize: etlSchema.shape.batchSize.optional(),
    schedule: etlSchema.shape.schedule.partial().optional(),
  }).optional(),
  serve: serveSchema.partial().optional(),
  alerts: alertsFileSchema.optional(),
  health: healthFileSchema.optional(),
  maintenance: maintenanceSchema.partial().optional(),
};

/** One layer of the file: its top level, or one `environments.<name>` section. */
export const fileSectionSchema = strictObject(sectionShape);
export type FileSection = z.output<typeof fileSectionSchema>;

export const configFileSchema = strictObject({
  ...sectionShape,
  environments: strictObject({
    development: fileSectionSchema.optional(),
    test: fileSectionSchema.optional(),
    staging: fileSectionSchema.optional(),
    production: fileSectionSchema.optional(),
  }).optional(),
});
export type ConfigFile = z.output<typeof configFileSchema>;

/**
 * Parse `raw` and keep every valid part: the issues are those of the full input, and the data is
 * what is left after removing each value that has an issue (so one typo does not hide a valid
 * `host` and cause a misleading "DB_HOST: required" on top). `data` is undefined only when the
 * input as a whole is unusable (e.g. a list instead of a mapping).
 */
export function parseKeepingValid<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): { data: z.output<S> | undefined; error: z.ZodError | undefined } {
  const first = schema.safeParse(raw);
  if (first.success) return { data: first.data, error: undefined };
  const current: unknown = structuredClone(raw);
  let issues = first.error.issues;
  for (let round = 0; round < 10; round++) {
    for (const iss of issues) {
      if (!prune(current, iss)) return { data: undefined, error: first.error };
    }
    const again = schema.safeParse(current);
    if (again.success) return { data: again.data, error: first.error };
    issues = again.error.issues;
  }
  return { data: undefined, error: first.error };
}

/** Remove what `iss` complains about from `root`; false when the complaint is about the root itself. */
function prune(root: unknown, iss: z.core.$ZodIssue): boolean {
  const keys = iss.code === 'unrecognized_keys' ? iss.keys.map((k) => [...iss.path, k]) : [iss.path];
  for (const at of keys) {
    if (at.length === 0) return false;
    let parent: unknown = root;
    for (const step of at.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[step];
    if (parent && typeof parent === 'object')
      delete (parent as Record<PropertyKey, unknown>)[at[at.length - 1] as PropertyKey];
  }
  return true;
}
