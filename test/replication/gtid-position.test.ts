/** The GTID position arithmetic behind promotion: which transactions one node holds that another lacks. */
import { describe, expect, it } from 'vitest';
import { covers, describeMissing, laterOf, missingTransactions } from '../../src/replication/index.js';

describe('MariaDB GTID positions', () => {
  it('finds the transactions a lagging node lacks, per domain', () => {
    expect(missingTransactions('0-1-4', '0-1-39')).toEqual([{ domain: 0, from: 5, to: 39, last: '0-1-39' }]);
    expect(missingTransactions('0-1-4,1-3-9', '0-2-6,1-3-9,2-5-1')).toEqual([
      { domain: 0, from: 5, to: 6, last: '0-2-6' },
      { domain: 2, from: 1, to: 1, last: '2-5-1' },
    ]);
    expect(missingTransactions('0-2-40', '0-1-39')).toEqual([]);
    expect(missingTransactions('', '')).toEqual([]);
    expect(missingTransactions(null, '0-1-1')).toHaveLength(1);
  });

  it('says whether one position covers another', () => {
    expect(covers('0-1-10', '0-1-10')).toBe(true);
    expect(covers('0-2-11', '0-1-10')).toBe(true);
    expect(covers('0-1-9', '0-1-10')).toBe(false);
    expect(covers('0-1-9', '')).toBe(true);
  });

  it('merges applied and received positions into what a replica holds', () => {
    expect(laterOf('0-1-4', '0-1-39')).toBe('0-1-39');
    expect(laterOf('0-1-40,1-1-2', '0-1-39')).toBe('0-1-40,1-1-2');
    expect(laterOf(null, null)).toBe('');
  });

  it('describes missing transactions for people', () => {
    expect(describeMissing(missingTransactions('0-1-4', '0-1-39'))).toBe(
      '35 transactions in domain 0 (seq 5-39, up to 0-1-39)',
    );
    expect(describeMissing(missingTransactions('0-1-38', '0-1-39'))).toBe(
      '1 transaction in domain 0 (seq 39, up to 0-1-39)',
    );
  });
});
