/**
 * Audit trigger cost: inserting 100,000 orders with their items (3 per order) into a database with
 * the audit triggers on and into one without, on the same throwaway sandbox, in alternating rounds
 * (so drift on a noisy machine hits both alike). Each side inserts the way an application does:
 * one transaction per order (default) with one INSERT for the order and one multi-row INSERT for
 * its items, through DatabaseManager with an application user set; `--orders-per-tx 100` makes
 * both sides bulk-load instead (multi-row INSERTs of 100 orders and their 300 items). Then, on
 * the audited side (outside the ratio): `sealAudit` seals every audit row (rows/s) and
 * `verifyAudit` checks them (rows/s).
 *
 * `npm run bench -- audit [--orders N] [--orders-per-tx N]` (defaults 100,000 and 1).
 * Last line: `ratio: X` = audited seconds / unaudited seconds. Also printed: the server's CPU time
 * per side (from /proc, Linux only), a figure the other jobs of a shared machine disturb less
 * than wall time.
 */
import { readFileSync } from 'node:fs';
import { applyAudit, DatabaseManager, migrate, sealAudit, verifyAudit } from '../dist/index.js';
import { withBenchSandbox } from './_sandbox.js';

const ITEMS_PER_ORDER = 3;
const ROUNDS = 4;
const CUSTOMERS = 1000;
const PRODUCTS = 200;

function sizesFrom(args: string[]): { orders: number; perTx: number } {
  const sizes = { orders: 100_000, perTx: 1 };
  const keys: Record<string, keyof typeof sizes> = { '--orders': 'orders', '--orders-per-tx': 'perTx' };
  for (let i = 0; i < args.length; i += 2) {
    const key = keys[args[i] ?? ''];
    if (!key || !/^[1-9]\d*$/.test(args[i + 1] ?? '')) throw new Error(`unknown argument ${args[i]}`);
    sizes[key] = Number(args[i + 1]);
  }
  return sizes;
}

/** CPU milliseconds the server process has used so far (utime + stime), or null off Linux. */
function serverCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3); USER_HZ is 100.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function serverPid(db: DatabaseManager): Promise<number | null> {
  const [row] = await db.query<{ f: string | null }>('SELECT @@pid_file AS f');
  try {
    return row?.f ? Number(readFileSync(row.f, 'utf8').trim()) : null;
  } catch {
    return null;
  }
}

async function prepare(db: DatabaseManager): Promise<void> {
  await db.execute("INSERT INTO categories (name, slug) VALUES ('Bench', 'bench')");
  const products = Array.from(
    { length: PRODUCTS },
    (_, i) => `('B-${i}', 'Product ${i}', 1, ${(i % 50) + 1}.25, 1.00)`,
  );
  await db.execute(
    `INSERT INTO products (sku, name, category_id, price, cost) VALUES ${products.join(', ')}`,
  );
  const customers = Array.from(
    { length: CUSTOMERS },
    (_, i) => `('c${i}@example.com', 'First${i}', 'Last${i}')`,
  );
  await db.execute(`INSERT INTO customers (email, first_name, last_name) VALUES ${customers.join(', ')}`);
}

/** Insert `count` orders with their items, `perTx` orders per transaction; returns milliseconds. */
async function insertOrders(
  db: DatabaseManager,
  start: number,
  count: number,
  perTx: number,
): Promise<number> {
  const app = db.withContext({ user: 'bench', requestId: 'audit-bench' });
  const began = process.hrtime.bigint();
  for (let done = 0; done < count; done += perTx) {
    const n = Math.min(perTx, count - done);
    const orderRows: unknown[] = [];
    const itemsOf: Array<Array<[number, number, string]>> = [];
    for (let k = 0; k < n; k++) {
      const o = start + done + k;
      const items: Array<[number, number, string]> = [];
      let subtotal = 0;
      for (let j = 0; j < ITEMS_PER_ORDER; j++) {
        const product = ((o * 7 + j * 13) % PRODUCTS) + 1;
        const qty = 1 + ((o + j) % 3);
        const price = ((product - 1) % 50) + 1.25;
        subtotal += qty * price;
        items.push([product, qty, price.toFixed(2)]);
      }
      itemsOf.push(items);
      const tax = Math.round(subtotal * 8) / 100;
      orderRows.push(
        (o % CUSTOMERS) + 1,
        subtotal.toFixed(2),
        tax.toFixed(2),
        '4.99',
        (subtotal + tax + 4.99).toFixed(2),
      );
    }
    await app.transaction(async (tx) => {
      const res = await tx.execute(
        `INSERT INTO orders (customer_id, subtotal, tax_amount, shipping_amount, total_amount) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`,
        orderRows as never,
      );
      const first = Number(res.insertId);
      const itemRows: unknown[] = [];
      itemsOf.forEach((items, k) => {
        for (const [product, qty, price] of items) {
          itemRows.push(first + k, product, qty, price, (qty * Number(price)).toFixed(2));
        }
      });
      await tx.execute(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES ${Array(
          itemRows.length / 5,
        )
          .fill('(?, ?, ?, ?, ?)')
          .join(', ')}`,
        itemRows as never,
      );
    });
  }
  return Number(process.hrtime.bigint() - began) / 1e6;
}

export default async function bench(args: string[]): Promise<void> {
  const { orders, perTx } = sizesFrom(args);
  await withBenchSandbox(async (sb) => {
    const base = { connection: {}, usesSandbox: true, sandbox: { home: sb.home, name: sb.name } };
    await migrate({ ...base, connection: { database: 'bench_audit_on' } });
    await migrate({ ...base, connection: { database: 'bench_audit_off' } });
    const on = new DatabaseManager({ ...base, connection: { database: 'bench_audit_on' } });
    const off = new DatabaseManager({ ...base, connection: { database: 'bench_audit_off' } });
    try {
      await on.initialize();
      await off.initialize();
      await prepare(on);
      await prepare(off);
      await applyAudit(on);
      // The unaudited side: the same schema with the audit triggers dropped.
      await off.execute('UPDATE audit_config SET enabled = 0');
      await applyAudit(off);

      const per = Math.ceil(orders / ROUNDS / perTx) * perTx;
      const pid = await serverPid(on);
      let onMs = 0;
      let offMs = 0;
      const cpu = { on: 0, off: 0 };
      for (let r = 0, start = 0; start < orders; r++, start += per) {
        const count = Math.min(per, orders - start);
        // Alternate which side goes first.
        const sides = r % 2 === 0 ? [on, off] : [off, on];
        for (const db of sides) {
          const cpuBefore = serverCpuMs(pid);
          const ms = await insertOrders(db, start, count, perTx);
          const cpuMs = (serverCpuMs(pid) ?? 0) - (cpuBefore ?? 0);
          if (db === on) {
            onMs += ms;
            cpu.on += cpuMs;
          } else {
            offMs += ms;
            cpu.off += cpuMs;
          }
          console.error(
            `… round ${r + 1}: ${db === on ? 'audited' : 'unaudited'} ${count} orders in ${(ms / 1000).toFixed(1)} s`,
          );
        }
      }
      const [{ n: auditRows } = { n: 0 }] = await on.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM audit_log',
      );
      const sealStart = process.hrtime.bigint();
      const sealed = await sealAudit(on);
      const sealMs = Number(process.hrtime.bigint() - sealStart) / 1e6;
      const verifyStart = process.hrtime.bigint();
      const verify = await verifyAudit(on);
      const verifyMs = Number(process.hrtime.bigint() - verifyStart) / 1e6;
      if (!verify.ok || verify.unsealed !== 0) {
        throw new Error(`audit verify failed: ${JSON.stringify(verify.problem ?? verify.unsealed)}`);
      }
      const rows = orders * (1 + ITEMS_PER_ORDER);
      const f = (ms: number) =>
        `${(ms / 1000).toFixed(1)} s (${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s)`;
      const rate = (n: number, ms: number) =>
        `${(ms / 1000).toFixed(1)} s (${Math.round(n / (ms / 1000)).toLocaleString('en-US')} audit rows/s)`;
      console.log(
        `orders: ${orders.toLocaleString('en-US')} with ${(orders * ITEMS_PER_ORDER).toLocaleString('en-US')} items, ${perTx} order(s) per transaction`,
      );
      console.log(`audited:   ${f(onMs)}; ${Number(auditRows).toLocaleString('en-US')} audit rows`);
      console.log(`seal:      ${rate(sealed.rows, sealMs)}, ${sealed.blocks} blocks (not in the ratio)`);
      console.log(
        `verify:    ${rate(verify.rows, verifyMs)}, all blocks and the seal chain intact (not in the ratio)`,
      );
      console.log(`unaudited: ${f(offMs)}`);
      if (pid !== null && cpu.off > 0) {
        console.log(
          `server CPU: audited ${(cpu.on / 1000).toFixed(1)} s, unaudited ${(cpu.off / 1000).toFixed(1)} s (ratio ${(cpu.on / cpu.off).toFixed(3)})`,
        );
      }
      console.log(`ratio: ${(onMs / offMs).toFixed(3)}`);
    } finally {
      await on.close();
      await off.close();
    }
  });
}
