import { describe, expect, it } from 'vitest';
import { Flavor, parseVersion } from '../../src/db/flavor.js';

describe('Flavor', () => {
  it('recognises MariaDB from the version string or the version comment', () => {
    expect(Flavor.detect('10.11.19-MariaDB-0+deb12u1-log').kind).toBe('mariadb');
    expect(Flavor.detect('5.5.5-10.6.1', 'mariadb.org binary distribution').kind).toBe('mariadb');
    expect(Flavor.detect('8.0.36', 'MySQL Community Server - GPL').kind).toBe('mysql');
  });

  it('parses versions, skipping the 5.5.5- replication prefix', () => {
    expect(parseVersion('5.5.5-10.11.2-MariaDB')).toEqual({ major: 10, minor: 11, patch: 2 });
    expect(parseVersion('8.0.36-0ubuntu0.22.04.1')).toEqual({ major: 8, minor: 0, patch: 36 });
    expect(parseVersion('garbage')).toEqual({ major: 0, minor: 0, patch: 0 });
  });

  it('compares versions with atLeast', () => {
    const f = Flavor.detect('8.0.22');
    expect(f.atLeast(8, 0, 22)).toBe(true);
    expect(f.atLeast(8, 0, 23)).toBe(false);
    expect(f.atLeast(5, 7)).toBe(true);
    expect(f.atLeast(8, 1)).toBe(false);
  });

  it('limits any statement on MariaDB with SET STATEMENT max_statement_time', () => {
    const t = Flavor.detect('10.11.19-MariaDB').withStatementTimeout('UPDATE t SET a = 1', 1500);
    expect(t).toEqual({ sql: 'SET STATEMENT max_statement_time=1.5 FOR UPDATE t SET a = 1' });
  });

  it('limits SELECT on MySQL with the MAX_EXECUTION_TIME hint, and other statements client-side', () => {
    const f = Flavor.detect('8.0.36');
    expect(f.withStatementTimeout('  SELECT * FROM t', 250).sql).toBe(
      '  SELECT /*+ MAX_EXECUTION_TIME(250) */ * FROM t',
    );
    expect(f.withStatementTimeout('DELETE FROM t', 250)).toEqual({
      sql: 'DELETE FROM t',
      clientTimeoutMs: 250,
    });
  });

  it('knows the timeout error numbers and the replica status statement per flavor', () => {
    expect(Flavor.detect('10.11.1-MariaDB').isStatementTimeout(1969)).toBe(true);
    expect(Flavor.detect('8.0.36').isStatementTimeout(3024)).toBe(true);
    expect(Flavor.detect('8.0.36').isStatementTimeout(1064)).toBe(false);
    expect(Flavor.detect('8.0.36').replicaStatusSql).toBe('SHOW REPLICA STATUS');
    expect(Flavor.detect('8.0.21').replicaStatusSql).toBe('SHOW SLAVE STATUS');
    expect(Flavor.detect('10.11.1-MariaDB').replicaStatusSql).toBe('SHOW SLAVE STATUS');
  });
});
