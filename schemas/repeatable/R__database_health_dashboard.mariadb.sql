-- database_health_dashboard, MariaDB flavor: server status and settings come from
-- information_schema.GLOBAL_STATUS / GLOBAL_VARIABLES, which work whether or not
-- performance_schema is enabled. (MySQL 8 removed those two tables: see the .mysql.sql twin.)
-- One row per check: check_name, metric_value, warning_at, critical_at, status
-- (ok / warning / critical / info), details. `mysqlops health` builds on the same checks.
-- SQL SECURITY INVOKER: the caller needs PROCESS (the monitoring role has it): INNODB_TRX refuses
-- callers without it, and PROCESSLIST would show them only their own sessions.

DELIMITER $$

-- Inside a routine, DATABASE() is the routine's own schema (in a view it would be the caller's
-- current database), so the checks below can scope themselves to the schema they live in.
DROP FUNCTION IF EXISTS health_schema_name$$
CREATE FUNCTION health_schema_name() RETURNS VARCHAR(64) CHARSET utf8mb4
  DETERMINISTIC CONTAINS SQL SQL SECURITY INVOKER
  COMMENT 'The schema this function (and database_health_dashboard) lives in'
  RETURN DATABASE()$$

DELIMITER ;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW database_health_dashboard AS
WITH
  status_values AS (
    SELECT VARIABLE_NAME AS name, CAST(VARIABLE_VALUE AS DECIMAL(30,4)) AS value
    FROM information_schema.GLOBAL_STATUS
    WHERE VARIABLE_NAME IN ('THREADS_CONNECTED', 'UPTIME', 'INNODB_BUFFER_POOL_READ_REQUESTS',
                            'INNODB_BUFFER_POOL_READS', 'SLOW_QUERIES', 'ABORTED_CONNECTS',
                            'MAX_USED_CONNECTIONS', 'INNODB_DEADLOCKS')
  ),
  variable_values AS (
    SELECT VARIABLE_NAME AS name, CAST(VARIABLE_VALUE AS DECIMAL(30,4)) AS value
    FROM information_schema.GLOBAL_VARIABLES
    WHERE VARIABLE_NAME IN ('MAX_CONNECTIONS')
  ),
  checks AS (
    SELECT 'connection_usage_pct' AS check_name,
           CAST(100 * (SELECT value FROM status_values WHERE name = 'THREADS_CONNECTED')
                / (SELECT value FROM variable_values WHERE name = 'MAX_CONNECTIONS') AS DECIMAL(30,4))
             AS metric_value,
           75 AS warning_at, 90 AS critical_at, 1 AS higher_is_worse,
           'connected threads as a share of max_connections' AS details
    UNION ALL
    SELECT 'buffer_pool_hit_ratio_pct',
           -- Too few reads since start-up make the ratio noise: report it only past 100k requests.
           CASE WHEN (SELECT value FROM status_values WHERE name = 'INNODB_BUFFER_POOL_READ_REQUESTS') >= 100000
                THEN 100 * (1 - (SELECT value FROM status_values WHERE name = 'INNODB_BUFFER_POOL_READS')
                     / (SELECT value FROM status_values WHERE name = 'INNODB_BUFFER_POOL_READ_REQUESTS'))
           END,
           99, 95, 0, 'logical reads served from memory since start-up (reported past 100k reads)'
    UNION ALL
    SELECT 'long_running_queries',
           (SELECT COUNT(*) FROM information_schema.PROCESSLIST
             WHERE COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO',
                                   'Slave_SQL', 'Slave_worker', 'Connect')
               AND TIME >= 60),
           1, 5, 1, 'statements running for 60 s or more'
    UNION ALL
    SELECT 'long_transactions',
           (SELECT COUNT(*) FROM information_schema.INNODB_TRX
             WHERE trx_started <= NOW() - INTERVAL 60 SECOND),
           1, 5, 1, 'InnoDB transactions open for 60 s or more'
    UNION ALL
    SELECT 'tables_without_primary_key',
           (SELECT COUNT(*) FROM information_schema.TABLES t
             WHERE t.TABLE_SCHEMA = health_schema_name() AND t.TABLE_TYPE = 'BASE TABLE'
               AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS k
                                WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
                                  AND k.CONSTRAINT_TYPE = 'PRIMARY KEY')),
           1, NULL, 1, 'base tables in this schema with no primary key (replication and audit need one)'
    UNION ALL
    SELECT 'schema_size_mb',
           (SELECT CAST(COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) / 1048576 AS DECIMAL(20,2))
              FROM information_schema.TABLES WHERE TABLE_SCHEMA = health_schema_name()),
           NULL, NULL, 1, 'data + indexes of this schema'
    UNION ALL
    SELECT 'uptime_seconds', (SELECT value FROM status_values WHERE name = 'UPTIME'),
           NULL, NULL, 1, 'seconds since the server started'
    UNION ALL
    SELECT 'slow_queries_total', (SELECT value FROM status_values WHERE name = 'SLOW_QUERIES'),
           NULL, NULL, 1, 'statements slower than long_query_time since start-up'
    UNION ALL
    SELECT 'deadlocks_total', (SELECT value FROM status_values WHERE name = 'INNODB_DEADLOCKS'),
           NULL, NULL, 1, 'InnoDB deadlocks since start-up'
    UNION ALL
    SELECT 'aborted_connects_total', (SELECT value FROM status_values WHERE name = 'ABORTED_CONNECTS'),
           NULL, NULL, 1, 'failed connection attempts since start-up (bad passwords, timeouts)'
  )
SELECT
  check_name,
  CAST(metric_value AS DECIMAL(20,2)) AS metric_value,
  warning_at,
  critical_at,
  CASE
    WHEN warning_at IS NULL AND critical_at IS NULL THEN 'info'
    WHEN metric_value IS NULL THEN 'info'
    WHEN higher_is_worse = 1 AND critical_at IS NOT NULL AND metric_value >= critical_at THEN 'critical'
    WHEN higher_is_worse = 1 AND metric_value >= warning_at THEN 'warning'
    WHEN higher_is_worse = 0 AND critical_at IS NOT NULL AND metric_value < critical_at THEN 'critical'
    WHEN higher_is_worse = 0 AND metric_value < warning_at THEN 'warning'
    ELSE 'ok'
  END AS status,
  details
FROM checks;
