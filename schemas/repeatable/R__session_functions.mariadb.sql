-- Session helpers whose SQL differs by flavor (MySQL twin: R__session_functions.mysql.sql).

DELIMITER $$

-- 1 when the calling session has an open transaction. Procedures that manage their own
-- transaction refuse to run inside one: START TRANSACTION would commit the caller's work.
DROP FUNCTION IF EXISTS session_in_transaction$$
CREATE FUNCTION session_in_transaction() RETURNS TINYINT
  NOT DETERMINISTIC READS SQL DATA SQL SECURITY INVOKER
  COMMENT '1 when the calling session has an open transaction'
  RETURN @@in_transaction$$

DELIMITER ;
