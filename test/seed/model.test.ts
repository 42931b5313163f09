/**
 * The data model without a server: options, the calendar, the plan, the catalogue outline and
 * the segment rule.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { blackFridayOf, Calendar, DAY } from '../../src/seed/calendar.js';
import { parseOutline, slugify } from '../../src/seed/catalog.js';
import { CATEGORY_OUTLINE } from '../../src/seed/catalog-words.js';
import { resolveSeedOptions, SEED_DEFAULTS, segmentOf } from '../../src/seed/index.js';
import { buildPlan, decodeOrderKey, lineCount } from '../../src/seed/plan.js';
import { Random } from '../../src/seed/random.js';

describe('resolveSeedOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolveSeedOptions()).toEqual({ ...SEED_DEFAULTS });
    expect(SEED_DEFAULTS).toMatchObject({ customers: 1000, orders: 3000, endDate: '2025-12-31', years: 3 });
  });

  it('reports every bad option at once as a UsageError (exit 2)', () => {
    let error: unknown;
    try {
      resolveSeedOptions({
        customers: 0,
        orders: 1.5,
        products: 5,
        years: 11,
        endDate: '2025-02-30',
        seed: '',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const e = error as UsageError;
    expect(e.exitCode).toBe(2);
    for (const word of ['customers', 'orders', 'products', 'years', 'endDate', 'seed'])
      expect(e.message).toContain(word);
  });

  it('rejects sizes above the limits and malformed dates', () => {
    expect(() => resolveSeedOptions({ customers: 50_000_000 })).toThrow(/customers must be an integer/);
    expect(() => resolveSeedOptions({ endDate: '31/12/2025' })).toThrow(/YYYY-MM-DD/);
    expect(resolveSeedOptions({ seed: 7 }).seed).toBe('7');
  });
});

describe('Calendar', () => {
  const cal = new Calendar('2025-12-31', 3);

  it('spans whole years ending with the end date', () => {
    expect(new Date(cal.start * 1000).toISOString()).toBe('2023-01-01T00:00:00.000Z');
    expect(new Date(cal.end * 1000).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(cal.days).toBe(1096);
  });

  it('peaks in November/December and on Black Friday, and has a weekly rhythm', () => {
    const at = (iso: string) => cal.weightAt(Date.parse(`${iso}T12:00:00Z`) / 1000);
    expect(blackFridayOf(2025)).toBe(28);
    expect(blackFridayOf(2024)).toBe(29);
    expect(at('2025-11-28')).toBeGreaterThan(2 * at('2025-11-21'));
    expect(at('2025-12-10')).toBeGreaterThan(1.3 * at('2025-10-08'));
    expect(at('2025-06-01')).toBeGreaterThan(at('2025-06-07')); // Sunday busier than Saturday
  });

  it('samples times inside the requested window', () => {
    const r = new Random('cal');
    const a = cal.start + 100 * DAY + 1234;
    const b = a + 3 * DAY;
    for (let i = 0; i < 2000; i++) {
      const t = cal.sample(r, a, b);
      if (t < a || t > b || !Number.isInteger(t)) throw new Error(`sample ${t} outside [${a}, ${b}]`);
    }
  });
});

describe('plan', () => {
  const cal = new Calendar('2025-12-31', 3);
  const plan = buildPlan(new Random('plan-test', 'plan'), cal, { customers: 2000, orders: 7000 }, 99);

  it('gives out exactly the requested orders, sorted by time, each after its customer signed up', () => {
    expect(plan.orderCount.reduce((a, b) => a + b, 0)).toBe(7000);
    let previous = 0;
    for (const key of plan.orderKeys) {
      const { at, customer } = decodeOrderKey(key, cal.start);
      if (key < previous) throw new Error('order keys not sorted');
      previous = key;
      if (at <= (plan.createdAt[customer] as number) || at >= cal.end)
        throw new Error(`order at ${at} misplaced`);
    }
  });

  it('has signups non-decreasing with the customer id and a heavy tail of repeat buyers', () => {
    for (let i = 1; i < plan.customers; i++) {
      if ((plan.createdAt[i] as number) < (plan.createdAt[i - 1] as number))
        throw new Error('signups out of order');
    }
    const counts = Array.from(plan.orderCount).sort((a, b) => a - b);
    const buyers = counts.filter((c) => c > 0);
    expect(buyers.length / counts.length).toBeGreaterThan(0.5);
    expect(counts[Math.floor(counts.length / 2)]).toBeLessThanOrEqual(3); // most buy a few times
    expect(counts[counts.length - 1]).toBeGreaterThanOrEqual(15); // some buy very often
  });

  it('counts order lines exactly and draws 1 to 6 lines, about 3.3 on average', () => {
    let lines = 0;
    for (let k = 0; k < 7000; k++) {
      const n = lineCount(99, k);
      if (n < 1 || n > 6) throw new Error(`order ${k} has ${n} lines`);
      lines += n;
    }
    expect(plan.orderItems).toBe(lines);
    expect(lines / 7000).toBeGreaterThan(3.1);
    expect(lines / 7000).toBeLessThan(3.6);
  });
});

describe('catalogue outline', () => {
  const nodes = parseOutline(CATEGORY_OUTLINE);

  it('is a tree at least three levels deep with unique, well-formed slugs', () => {
    expect(Math.max(...nodes.map((n) => n.depth))).toBeGreaterThanOrEqual(2);
    const slugs = nodes.map((n) => n.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const s of slugs) expect(s).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    for (const n of nodes) if (n.parentId !== null) expect(n.parentId).toBeLessThan(n.id);
  });

  it('slugifies names with accents, apostrophes and ampersands', () => {
    expect(slugify("Children's Books")).toBe('childrens-books');
    expect(slugify('Home & Kitchen')).toBe('home-kitchen');
    expect(slugify('Café Crème')).toBe('cafe-creme');
  });
});

describe('segmentOf', () => {
  const now = Date.UTC(2026, 0, 1) / 1000;
  const daysAgo = (d: number) => now - d * DAY;

  it('applies the documented rule, first match wins', () => {
    expect(segmentOf(0, 0, 0, now)).toBe('new');
    expect(segmentOf(12, daysAgo(900), daysAgo(400), now)).toBe('churned');
    expect(segmentOf(3, daysAgo(500), daysAgo(200), now)).toBe('at_risk');
    expect(segmentOf(2, daysAgo(30), daysAgo(5), now)).toBe('new');
    expect(segmentOf(10, daysAgo(300), daysAgo(5), now)).toBe('vip');
    expect(segmentOf(4, daysAgo(300), daysAgo(5), now)).toBe('regular');
  });
});
