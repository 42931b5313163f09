/**
 * The `maintenance` config section (file layers, validation) and the scheduled job built from it.
 */
import { describe, expect, it } from 'vitest';
import { maintenanceJobs } from '../../src/maintenance/index.js';
import { configError, lines, load, tempDir, write } from '../config/helpers.js';

describe('maintenance config', () => {
  it('layers file values over the defaults, per environment too', () => {
    const cwd = tempDir();
    write(
      cwd,
      'mysqlops.config.yaml',
      'maintenance:\n  analyzeThreshold: 0.05\n  binlogRetentionDays: 3\nenvironments:\n  test:\n    maintenance:\n      schedule: null\n',
    );
    const dev = load(cwd);
    expect(dev.maintenance).toEqual({
      schedule: '30 3 * * *',
      analyzeThreshold: 0.05,
      optimizeFreeRatio: 0.2,
      optimizeMinFreeBytes: 64 * 1024 * 1024,
      optimizeMaxBytes: 10 * 1024 ** 3,
      binlogRetentionDays: 3,
      partitionsAheadMonths: 3,
      partitionRetentionMonths: null,
      etlRunsRetentionDays: 90,
    });
    expect(load(cwd, {}, { env: 'test' }).maintenance.schedule).toBeNull();
  });

  it('reports every bad value with its path', () => {
    const cwd = tempDir();
    write(
      cwd,
      'mysqlops.config.yaml',
      "maintenance:\n  schedule: 'every night'\n  analyzeThreshold: 2\n  optimizeMaxBytes: -1\n  vacuum: true\n",
    );
    const issues = lines(configError(() => load(cwd)).issues);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mysqlops\.config\.yaml: maintenance\.schedule: invalid cron expression/),
        expect.stringMatching(/^mysqlops\.config\.yaml: maintenance\.analyzeThreshold: .*0 to 1/),
        expect.stringMatching(/^mysqlops\.config\.yaml: maintenance\.optimizeMaxBytes: /),
        expect.stringMatching(/^mysqlops\.config\.yaml: maintenance\.vacuum: unknown key/),
      ]),
    );
    expect(issues).toHaveLength(4);
  });
});

describe('maintenanceJobs', () => {
  it('is one nightly job by default, none when the schedule is null', () => {
    const cwd = tempDir();
    const jobs = maintenanceJobs(load(cwd));
    expect(jobs.map((j) => [j.name, j.cron])).toEqual([['maintenance', '30 3 * * *']]);
    write(cwd, 'mysqlops.config.yaml', 'maintenance:\n  schedule: null\n');
    expect(maintenanceJobs(load(cwd))).toEqual([]);
  });
});
