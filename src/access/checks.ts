/**
 * The allow/deny matrix `access verify` runs: every entry is one real statement (or login) as one
 * user of the access file. `{db}` stands for the quoted configured database. Statements are chosen
 * to change nothing even when wrongly allowed: writes touch no row (`WHERE ... = -1`) or run in a
 * transaction that is rolled back, DROP/TRUNCATE name a table that does not exist.
 */

export type Expectation = 'allow' | 'deny';

/**
 * One probe of the verify matrix: a login or statement that `user` must be allowed or denied (`expect`).
 * `verifyAccess` runs DEFAULT_CHECKS unless given its own.
 */
export interface AccessCheck {
  /** The user's key in the access file (`app_user`); the prefix is added when run. */
  user: string;
  expect: Expectation;
  description: string;
  /** A login (over TCP; with or without TLS), or a statement run after a TLS login. */
  login?: { tls: boolean };
  sql?: string;
  /** Run inside BEGIN ... ROLLBACK. */
  rollback?: boolean;
  /** Statements run after the check whatever happened (e.g. UNLOCK TABLES). */
  after?: string[];
}

/** A table name that never exists: DROP/TRUNCATE on it are privilege checks with nothing to lose. */
export const PROBE_TABLE = 'mysqlops_verify_probe_absent';

const c = (
  user: string,
  expect: Expectation,
  description: string,
  sql: string,
  more: Partial<AccessCheck> = {},
): AccessCheck => ({
  user,
  expect,
  description,
  sql,
  ...more,
});

const login = (user: string, tls: boolean, expect: Expectation, description: string): AccessCheck => ({
  user,
  expect,
  description,
  login: { tls },
});

/** The default matrix for schemas/access.yaml. */
export const DEFAULT_CHECKS: readonly AccessCheck[] = [
  // --- app_user: app_write + app_read ------------------------------------------------------
  login('app_user', true, 'allow', 'logs in over TLS'),
  login('app_user', false, 'deny', 'is refused without TLS (REQUIRE SSL)'),
  c('app_user', 'allow', 'reads orders', 'SELECT order_id, status FROM {db}.orders LIMIT 1'),
  c(
    'app_user',
    'allow',
    'reads customer contact columns',
    'SELECT customer_id, email FROM {db}.customers LIMIT 1',
  ),
  c(
    'app_user',
    'deny',
    'cannot read customers.password_hash',
    'SELECT password_hash FROM {db}.customers LIMIT 1',
  ),
  c('app_user', 'deny', 'cannot SELECT * from customers', 'SELECT * FROM {db}.customers LIMIT 1'),
  c(
    'app_user',
    'allow',
    'may set a password hash',
    'UPDATE {db}.customers SET password_hash = NULL WHERE customer_id = 0',
  ),
  c('app_user', 'allow', 'updates orders', "UPDATE {db}.orders SET status = 'pending' WHERE order_id = 0"),
  c(
    'app_user',
    'allow',
    'inserts order items (rolled back)',
    'INSERT INTO {db}.order_items (order_id, product_id, quantity, unit_price) VALUES (0, 0, 1, 1)',
    { rollback: true },
  ),
  c('app_user', 'allow', 'deletes order items', 'DELETE FROM {db}.order_items WHERE order_item_id = 0'),
  c('app_user', 'deny', 'cannot delete payments', 'DELETE FROM {db}.payments WHERE payment_id = 0'),
  c(
    'app_user',
    'deny',
    'cannot rewrite the inventory ledger',
    'UPDATE {db}.inventory_movements SET quantity = 0 WHERE movement_id = 0',
  ),
  c('app_user', 'deny', 'cannot read audit_log', 'SELECT COUNT(*) FROM {db}.audit_log'),
  c(
    'app_user',
    'deny',
    'cannot UPDATE audit_log',
    'UPDATE {db}.audit_log SET table_name = table_name WHERE audit_id = 0',
  ),
  c('app_user', 'deny', 'cannot DELETE from audit_log', 'DELETE FROM {db}.audit_log WHERE audit_id = 0'),
  c('app_user', 'deny', 'cannot DROP TABLE', `DROP TABLE {db}.${PROBE_TABLE}`),
  c('app_user', 'deny', 'cannot CREATE TABLE', `CREATE TABLE {db}.${PROBE_TABLE} (id INT)`),
  c('app_user', 'deny', 'cannot TRUNCATE', `TRUNCATE TABLE {db}.${PROBE_TABLE}`),
  c('app_user', 'deny', 'cannot read the reporting tables', 'SELECT COUNT(*) FROM {db}.daily_sales_summary'),
  c('app_user', 'deny', 'cannot read mysql.user', 'SELECT COUNT(*) FROM mysql.user'),
  c('app_user', 'deny', 'has no PROCESS', 'SHOW ENGINE INNODB STATUS'),
  // --- auth_user: the login service ----------------------------------------------------------
  c(
    'auth_user',
    'allow',
    'reads password hashes',
    'SELECT customer_id, password_hash FROM {db}.customers LIMIT 1',
  ),
  c('auth_user', 'deny', 'cannot read orders', 'SELECT COUNT(*) FROM {db}.orders'),
  c(
    'auth_user',
    'deny',
    'cannot change password hashes',
    'UPDATE {db}.customers SET password_hash = NULL WHERE customer_id = 0',
  ),
  // --- admin_user: schema owner ----------------------------------------------------------------
  login('admin_user', false, 'deny', 'is refused without TLS (REQUIRE SSL)'),
  c('admin_user', 'allow', 'may DROP TABLE in the database', `DROP TABLE {db}.${PROBE_TABLE}`),
  c('admin_user', 'allow', 'reads orders (through app_write)', 'SELECT COUNT(*) FROM {db}.orders'),
  c(
    'admin_user',
    'deny',
    'cannot read customers.password_hash',
    'SELECT password_hash FROM {db}.customers LIMIT 1',
  ),
  c('admin_user', 'deny', 'cannot DELETE from audit_log', 'DELETE FROM {db}.audit_log WHERE audit_id = 0'),
  c('admin_user', 'deny', 'cannot create tables in mysql', `CREATE TABLE mysql.${PROBE_TABLE} (id INT)`),
  // --- etl_user --------------------------------------------------------------------------------
  c('etl_user', 'allow', 'reads orders', 'SELECT COUNT(*) FROM {db}.orders'),
  c(
    'etl_user',
    'deny',
    'cannot read customers.password_hash',
    'SELECT password_hash FROM {db}.customers LIMIT 1',
  ),
  c(
    'etl_user',
    'allow',
    'writes reporting tables (rolled back)',
    "INSERT INTO {db}.daily_sales_summary (sales_date) VALUES ('1970-01-02')",
    { rollback: true },
  ),
  c(
    'etl_user',
    'allow',
    'clears reporting tables',
    'DELETE FROM {db}.customer_cohort_analysis WHERE cohort_size = -1',
  ),
  c(
    'etl_user',
    'deny',
    'cannot UPDATE orders',
    "UPDATE {db}.orders SET status = 'pending' WHERE order_id = 0",
  ),
  c('etl_user', 'deny', 'cannot DELETE orders', 'DELETE FROM {db}.orders WHERE order_id = 0'),
  c('etl_user', 'deny', 'cannot read audit_log', 'SELECT COUNT(*) FROM {db}.audit_log'),
  // --- reporting_user --------------------------------------------------------------------------
  c('reporting_user', 'allow', 'reads reporting tables', 'SELECT COUNT(*) FROM {db}.daily_sales_summary'),
  c('reporting_user', 'allow', 'reads the analytics views', 'SELECT * FROM {db}.monthly_sales_trend LIMIT 1'),
  c(
    'reporting_user',
    'allow',
    'reads the segment view',
    'SELECT * FROM {db}.customer_segment_distribution LIMIT 1',
  ),
  c('reporting_user', 'deny', 'cannot read customer emails', 'SELECT email FROM {db}.customers LIMIT 1'),
  c(
    'reporting_user',
    'deny',
    'cannot write reporting tables',
    'DELETE FROM {db}.daily_sales_summary WHERE order_count = -1',
  ),
  c(
    'reporting_user',
    'deny',
    'cannot UPDATE orders',
    "UPDATE {db}.orders SET status = 'pending' WHERE order_id = 0",
  ),
  // --- backup_user -----------------------------------------------------------------------------
  login('backup_user', false, 'allow', 'logs in on the local network without TLS'),
  c(
    'backup_user',
    'allow',
    'reads every column (the dump is complete)',
    'SELECT password_hash FROM {db}.customers LIMIT 1',
  ),
  c('backup_user', 'allow', 'reads audit_log', 'SELECT COUNT(*) FROM {db}.audit_log'),
  c('backup_user', 'allow', 'may LOCK TABLES', 'LOCK TABLES {db}.orders READ', { after: ['UNLOCK TABLES'] }),
  c('backup_user', 'allow', 'reads view definitions', 'SHOW CREATE VIEW {db}.monthly_sales_trend'),
  c('backup_user', 'allow', 'reads binlog coordinates', 'SHOW MASTER STATUS'),
  c('backup_user', 'allow', 'may FLUSH TABLES (RELOAD)', 'FLUSH LOCAL TABLES {db}.daily_sales_summary'),
  c('backup_user', 'deny', 'cannot INSERT', "INSERT INTO {db}.categories (name, slug) VALUES ('x', 'x')", {
    rollback: true,
  }),
  c('backup_user', 'deny', 'cannot UPDATE', "UPDATE {db}.orders SET status = 'pending' WHERE order_id = 0"),
  c('backup_user', 'deny', 'cannot DELETE', 'DELETE FROM {db}.orders WHERE order_id = 0'),
  c('backup_user', 'deny', 'cannot DROP TABLE', `DROP TABLE {db}.${PROBE_TABLE}`),
  // --- monitoring_user -------------------------------------------------------------------------
  login('monitoring_user', false, 'allow', 'logs in on the local network without TLS'),
  c(
    'monitoring_user',
    'allow',
    'reads performance_schema',
    'SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest',
  ),
  c('monitoring_user', 'allow', 'has PROCESS', 'SHOW ENGINE INNODB STATUS'),
  c('monitoring_user', 'allow', 'reads replica status', '{replicaStatus}'),
  c('monitoring_user', 'allow', 'reads binlog status', 'SHOW BINARY LOGS'),
  c('monitoring_user', 'deny', 'cannot read customers', 'SELECT COUNT(*) FROM {db}.customers'),
  c('monitoring_user', 'deny', 'cannot read orders', 'SELECT COUNT(*) FROM {db}.orders'),
  c(
    'monitoring_user',
    'deny',
    'cannot write performance_schema setup',
    "UPDATE performance_schema.setup_consumers SET enabled = 'YES' WHERE name = 'none'",
  ),
  // --- auditor_user ----------------------------------------------------------------------------
  login('auditor_user', false, 'deny', 'is refused without TLS (REQUIRE SSL)'),
  c('auditor_user', 'allow', 'reads audit_log', 'SELECT COUNT(*) FROM {db}.audit_log'),
  c('auditor_user', 'allow', 'reads audit_config', 'SELECT COUNT(*) FROM {db}.audit_config'),
  c(
    'auditor_user',
    'deny',
    'cannot UPDATE audit_log',
    'UPDATE {db}.audit_log SET table_name = table_name WHERE audit_id = 0',
  ),
  c('auditor_user', 'deny', 'cannot DELETE from audit_log', 'DELETE FROM {db}.audit_log WHERE audit_id = 0'),
  c(
    'auditor_user',
    'deny',
    'cannot change audit_config',
    "DELETE FROM {db}.audit_config WHERE table_name = ''",
  ),
  c('auditor_user', 'deny', 'cannot read customers', 'SELECT COUNT(*) FROM {db}.customers'),
];
