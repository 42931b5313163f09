/**
 * The jobs `mysqlops serve` schedules, from the configuration: one incremental ETL run per
 * scheduled pipeline, audit sealing, and whatever the caller adds (backups, alert evaluation).
 * Each job opens what it needs and reports through the scheduler's events; none prints.
 */
import { auditInstalled, sealAudit } from '../audit/index.js';
import type { MysqlopsConfig } from '../config/index.js';
import type { DatabaseManager } from '../db/index.js';
import { etlJobs, type ScheduledJob } from '../etl/index.js';

/** ETL and audit-seal jobs; a null schedule leaves that job out. */
export function coreJobs(config: MysqlopsConfig, db: DatabaseManager): ScheduledJob[] {
  const jobs = etlJobs(config);
  const seal = config.serve.auditSeal;
  if (seal) {
    jobs.push({
      name: 'audit:seal',
      cron: seal,
      // A database without the audit tables (audit not installed) has nothing to seal.
      run: async () => ((await auditInstalled(db)) ? sealAudit(db) : null),
    });
  }
  return jobs;
}
