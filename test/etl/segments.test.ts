/**
 * What the ETL keeps outside its reports: customers.segment following the report's segment rules
 * (attributed to 'etl' in the audit trail, without re-queuing the customer), a full refresh keeping
 * the report's triggers, and a change log that does not grow once drained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit } from '../../src/audit/index.js';
import { runEtl, VIP_SPEND, verifyEtl } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { insertOrder, seededDatabase } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl_segments');
  // Audit the customers (audit_config has them by default) and one report table.
  await t.db.execute("INSERT INTO audit_config (table_name) VALUES ('customer_order_summary')");
  await applyAudit(t.db);
  await runEtl(t.config());
});
afterAll(async () => {
  await t?.drop();
});

async function disagreements(): Promise<number> {
  const [row] = await t.db.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM customers c LEFT JOIN customer_order_summary s ON s.customer_id = c.customer_id
     WHERE c.segment <> COALESCE(s.customer_segment, 'new')`,
  );
  return Number(row?.n);
}

async function triggersOn(table: string) {
  return t.db.query<{ name: string; timing: string; event: string; body: string }>(
    `SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event, ACTION_STATEMENT AS body
     FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?
     ORDER BY TRIGGER_NAME`,
    [table],
  );
}

describe('customers.segment', () => {
  it('agrees with the report after the first build, so the segment view counts what the report says', async () => {
    expect(await disagreements()).toBe(0);
    const view = await t.db.query<{ segment: string; n: number }>(
      `SELECT segment, customer_count AS n FROM customer_segment_distribution WHERE segment <> 'new' ORDER BY 1`,
    );
    const report = await t.db.query<{ segment: string; n: number }>(
      `SELECT customer_segment AS segment, COUNT(*) AS n FROM customer_order_summary
       WHERE customer_segment <> 'new' GROUP BY 1 ORDER BY 1`,
    );
    expect(view.map((r) => [r.segment, Number(r.n)])).toEqual(report.map((r) => [r.segment, Number(r.n)]));
    expect((await verifyEtl(t.config(), { pipelines: ['customer_order_summary'] })).ok).toBe(true);
  });

  it("follows an incremental run, as user 'etl' in the audit trail, without queuing the customer again", async () => {
    const [c] = await t.db.query<{ id: number }>(
      `SELECT customer_id AS id FROM customer_order_summary WHERE customer_segment = 'regular'
       ORDER BY customer_id LIMIT 1`,
    );
    const id = Number(c?.id);
    // Enough kept spend to make a regular customer vip.
    while (true) {
      const [s] = await t.db.query<{ spent: string }>(
        `SELECT COALESCE(SUM(total_amount), 0) AS spent FROM orders
         WHERE customer_id = ? AND status NOT IN ('cancelled', 'returned')`,
        [id],
      );
      if (Number(s?.spent) >= VIP_SPEND) break;
      await insertOrder(t.db, id, '2025-12-20 10:00:00');
    }
    const r = await runEtl(t.config(), { pipelines: ['customer_order_summary'] });
    expect(r.pipelines[0]?.mode).toBe('incremental');
    const [after] = await t.db.query<{ segment: string; report: string }>(
      `SELECT c.segment, s.customer_segment AS report FROM customers c
       JOIN customer_order_summary s ON s.customer_id = c.customer_id WHERE c.customer_id = ?`,
      [id],
    );
    expect(after).toEqual({ segment: 'vip', report: 'vip' });
    expect(await disagreements()).toBe(0);
    const audit = await t.db.query<{ app_user: string; new_values: unknown }>(
      `SELECT app_user, new_values FROM audit_log
       WHERE table_name = 'customers' AND action = 'UPDATE' AND row_pk = ? ORDER BY audit_id DESC LIMIT 1`,
      [String(id)],
    );
    expect(audit[0]?.app_user).toBe('etl');
    expect(JSON.stringify(audit[0]?.new_values)).toContain('vip');
    // Writing the segment queued nothing: the log is drained and a second run finds no work.
    const [log] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_change_log');
    expect(Number(log?.n)).toBe(0);
    const again = await runEtl(t.config(), { pipelines: ['customer_order_summary'] });
    expect(again.pipelines[0]?.batches).toBe(0);
  });

  it('is put back by a full refresh when someone else changes it, and verify reports the disagreement', async () => {
    const [c] = await t.db.query<{ id: number; segment: string }>(
      `SELECT customer_id AS id, customer_segment AS segment FROM customer_order_summary
       WHERE customer_segment <> 'churned' ORDER BY customer_id LIMIT 1`,
    );
    await t.db.execute("UPDATE customers SET segment = 'churned' WHERE customer_id = ?", [c?.id]);
    const v = await verifyEtl(t.config(), { pipelines: ['customer_order_summary'] });
    expect(v.ok).toBe(false);
    expect(v.pipelines[0]?.differences).toEqual([
      {
        kind: 'different',
        key: { customer_id: c?.id },
        columns: [{ column: 'customers.segment', expected: c?.segment, actual: 'churned' }],
      },
    ]);
    await runEtl(t.config(), { pipelines: ['customer_order_summary'], full: true });
    expect(await disagreements()).toBe(0);
  });
});

describe('a full refresh', () => {
  it('keeps the triggers the live report had (audit triggers keep firing after the swap)', async () => {
    const before = await triggersOn('customer_order_summary');
    expect(before.map((x) => x.name).sort()).toEqual([
      'audit_customer_order_summary_ad',
      'audit_customer_order_summary_ai',
      'audit_customer_order_summary_au',
    ]);
    const r = await runEtl(t.config(), { pipelines: ['customer_order_summary'], full: true });
    expect(r.pipelines[0]?.mode).toBe('full');
    expect(await triggersOn('customer_order_summary')).toEqual(before);
    // audit apply finds them exactly as it would generate them.
    expect((await applyAudit(t.db, { dryRun: true })).inSync).toBe(true);
    const [c] = await t.db.query<{ id: number }>('SELECT MIN(customer_id) AS id FROM customer_order_summary');
    await insertOrder(t.db, Number(c?.id), '2025-12-21 10:00:00');
    const [mark] = await t.db.query<{ id: number }>('SELECT COALESCE(MAX(audit_id), 0) AS id FROM audit_log');
    await runEtl(t.config(), { pipelines: ['customer_order_summary'] });
    const audited = await t.db.query<{ app_user: string; action: string; row_pk: string }>(
      "SELECT app_user, action, row_pk FROM audit_log WHERE table_name = 'customer_order_summary' AND audit_id > ?",
      [mark?.id],
    );
    expect(audited).toContainEqual({ app_user: 'etl', action: 'UPDATE', row_pk: String(c?.id) });
    expect(audited.every((a) => a.app_user === 'etl')).toBe(true);
  });

  it('keeps a hand-made trigger with its sql_mode and body', async () => {
    await t.db.execute('CREATE TABLE etl_daily_seen (d DATE NOT NULL)');
    await t.db.execute(
      `CREATE TRIGGER etl_daily_seen_ai AFTER INSERT ON daily_sales_summary FOR EACH ROW
       INSERT INTO etl_daily_seen VALUES (NEW.sales_date)`,
    );
    const before = await triggersOn('daily_sales_summary');
    await runEtl(t.config(), { pipelines: ['daily_sales_summary'], full: true });
    expect(await triggersOn('daily_sales_summary')).toEqual(before);
    const [c] = await t.db.query<{ id: number }>('SELECT MIN(customer_id) AS id FROM customers');
    await insertOrder(t.db, Number(c?.id), '2024-02-29 12:00:00');
    await t.db.execute('DELETE FROM etl_daily_seen');
    await runEtl(t.config(), { pipelines: ['daily_sales_summary'] });
    const seen = await t.db.query<{ d: string }>(
      "SELECT DATE_FORMAT(d, '%Y-%m-%d') AS d FROM etl_daily_seen",
    );
    expect(seen).toContainEqual({ d: '2024-02-29' });
  });
});
