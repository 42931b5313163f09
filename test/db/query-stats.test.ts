import { describe, expect, it } from 'vitest';
import { QueryStats } from '../../src/db/query-stats.js';
import { backoffDelay, isRetryableTransactionError, serverErrno } from '../../src/db/retry.js';

describe('QueryStats', () => {
  it('counts calls, errors and latency per shape, costliest first', () => {
    const s = new QueryStats();
    s.record('SELECT ?', 0.002, true, 1);
    s.record('SELECT ?', 0.004, false, 0);
    s.record('UPDATE t SET a = ?', 0.5, true, 3);
    const [top, second] = s.summary();
    expect(top).toMatchObject({ shape: 'UPDATE t SET a = ?', calls: 1, rows: 3, totalMs: 500 });
    expect(second).toMatchObject({
      shape: 'SELECT ?',
      calls: 2,
      errors: 1,
      totalMs: 6,
      avgMs: 3,
      maxMs: 4,
      p95Ms: 5,
    });
  });

  it('renders a valid Prometheus histogram with escaped labels', () => {
    const s = new QueryStats();
    s.record('SELECT "a"\\b', 0.003, true, 1);
    s.record('SELECT "a"\\b', 20, true, 1);
    const text = s.toPrometheus();
    expect(text).toContain(
      'mysqlops_db_query_duration_seconds_bucket{shape="SELECT \\"a\\"\\\\b",le="0.005"} 1',
    );
    expect(text).toContain(
      'mysqlops_db_query_duration_seconds_bucket{shape="SELECT \\"a\\"\\\\b",le="10"} 1',
    );
    expect(text).toContain(
      'mysqlops_db_query_duration_seconds_bucket{shape="SELECT \\"a\\"\\\\b",le="+Inf"} 2',
    );
    expect(text).toContain('mysqlops_db_query_duration_seconds_count{shape="SELECT \\"a\\"\\\\b"} 2');
    expect(text).toContain('# TYPE mysqlops_db_query_duration_seconds histogram');
  });

  it('bounds the number of shapes', () => {
    const s = new QueryStats();
    for (let i = 0; i < 700; i++) s.record(`SELECT c${i}`, 0.001, true, 0);
    const all = s.summary(10_000);
    expect(all.length).toBe(501);
    expect(all.find((x) => x.shape === '(other)')?.calls).toBe(200);
  });
});

describe('transaction retry policy', () => {
  it('retries deadlocks and lock wait timeouts only, also when wrapped', () => {
    expect(isRetryableTransactionError({ errno: 1213 })).toBe(true);
    expect(isRetryableTransactionError(new Error('x', { cause: { errno: 1205 } }))).toBe(true);
    expect(isRetryableTransactionError({ errno: 1062 })).toBe(false);
    expect(isRetryableTransactionError(new Error('plain'))).toBe(false);
    expect(serverErrno(new Error('a', { cause: new Error('b', { cause: { errno: 1213 } }) }))).toBe(1213);
  });

  it('backs off with full jitter under an exponential ceiling', () => {
    expect(backoffDelay(0, 20, 1000, () => 1)).toBe(20);
    expect(backoffDelay(3, 20, 1000, () => 1)).toBe(160);
    expect(backoffDelay(10, 20, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 20, 1000, () => 0)).toBe(0);
    expect(backoffDelay(3, 20, 1000, () => 0.5)).toBe(80);
  });
});
