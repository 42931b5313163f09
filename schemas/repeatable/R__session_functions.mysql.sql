-- Session helpers whose SQL differs by flavor (MariaDB twin: R__session_functions.mariadb.sql).
-- NOT TESTED on MySQL in CI (MySQL 8 is not installable on the build machine).

DELIMITER $$

-- 1 when the calling session has an open transaction. MySQL has no @@in_transaction; the
-- transaction instrumentation of performance_schema (on by default in 8.0) shows it. DEFINER
-- rights, so callers need no performance_schema privilege. Returns 0 when the instrumentation is
-- off, which makes the procedures' guard a no-op rather than a failure.
DROP FUNCTION IF EXISTS session_in_transaction$$
CREATE FUNCTION session_in_transaction() RETURNS TINYINT
  NOT DETERMINISTIC READS SQL DATA SQL SECURITY DEFINER
  COMMENT '1 when the calling session has an open transaction'
  RETURN (SELECT COUNT(*) > 0 FROM performance_schema.events_transactions_current
          WHERE THREAD_ID = PS_CURRENT_THREAD_ID() AND STATE = 'ACTIVE')$$

DELIMITER ;
