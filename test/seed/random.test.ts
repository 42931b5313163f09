/**
 * The seeded generator: same seed, same sequence, on every run; different seeds or streams,
 * different sequences; and draws that are spread the way they claim.
 */
import { describe, expect, it } from 'vitest';
import { cumulate, hash32, hashUnit, Random, searchCumulative } from '../../src/seed/random.js';

function draws(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r.uint32());
}

describe('Random', () => {
  it('repeats the same sequence for the same seed and stream', () => {
    expect(draws(new Random(42, 'orders'), 1000)).toEqual(draws(new Random(42, 'orders'), 1000));
  });

  it('treats a number and the string of its digits as the same seed', () => {
    expect(draws(new Random(7), 50)).toEqual(draws(new Random('7'), 50));
  });

  it('gives different sequences for different seeds and for different streams of one seed', () => {
    const base = draws(new Random(42, 'orders'), 100);
    expect(draws(new Random(43, 'orders'), 100)).not.toEqual(base);
    expect(draws(new Random(42, 'customers'), 100)).not.toEqual(base);
  });

  it('is pinned: a known seed gives known values (a change here changes every seeded database)', () => {
    expect(draws(new Random(42, 'pin'), 3)).toEqual([395537227, 75252624, 3090920020]);
    expect(hash32('mysqlops')).toBe(776599560);
    expect(hash32('mysqlops', 1)).not.toBe(776599560);
  });

  it('draws uniform floats in [0, 1): mean, spread over ten buckets', () => {
    const r = new Random('uniform');
    const buckets = new Array(10).fill(0) as number[];
    let sum = 0;
    let min = 1;
    let max = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r.float();
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      const slot = Math.floor(x * 10);
      buckets[slot] = (buckets[slot] ?? 0) + 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
    const chi = buckets.reduce((acc, b) => acc + (b - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9);
  });

  it('draws integers within both bounds, each value reachable', () => {
    const r = new Random('ints');
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(r.int(3, 8));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('follows weights: weighted(), chance(), normal(), exponential()', () => {
    const r = new Random('weights');
    const cumulative = cumulate([1, 0, 3]);
    const counts = [0, 0, 0];
    let heads = 0;
    let normalSum = 0;
    let normalSquares = 0;
    let expSum = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const slot = r.weighted(cumulative);
      counts[slot] = (counts[slot] ?? 0) + 1;
      if (r.chance(0.3)) heads++;
      const z = r.normal();
      normalSum += z;
      normalSquares += z * z;
      expSum += r.exponential(5);
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] as number) / n).toBeCloseTo(0.75, 1);
    expect(heads / n).toBeCloseTo(0.3, 1);
    expect(normalSum / n).toBeCloseTo(0, 1);
    expect(normalSquares / n).toBeCloseTo(1, 1);
    expect(expSum / n).toBeCloseTo(5, 0);
  });

  it('shuffles into a permutation', () => {
    const p = Array.from(new Random('perm').permutation(100));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual([...p].sort((a, b) => a - b));
  });

  it('hashUnit is a pure function of key and index, spread over [0, 1)', () => {
    expect(hashUnit(9, 1234)).toBe(hashUnit(9, 1234));
    const xs = Array.from({ length: 10_000 }, (_, i) => hashUnit(9, i));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('searchCumulative finds the first slot above the target and skips empty slots', () => {
    const c = cumulate([2, 0, 3]);
    expect(searchCumulative(c, 0)).toBe(0);
    expect(searchCumulative(c, 1.99)).toBe(0);
    expect(searchCumulative(c, 2)).toBe(2);
    expect(searchCumulative(c, 4.99)).toBe(2);
  });
});
