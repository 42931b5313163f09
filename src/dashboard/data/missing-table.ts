/**
 * "This database has no such table": the reporting and ETL tables exist only once the schema is
 * migrated, and a dashboard pointed at another database should say so instead of failing.
 */
import { driverFields } from '../../errors.js';

const NO_SUCH_TABLE = 1146;
const UNKNOWN_COLUMN = 1054;

export function isMissingTable(err: unknown): boolean {
  const errno = driverFields(err).errno;
  return errno === NO_SUCH_TABLE || errno === UNKNOWN_COLUMN;
}
