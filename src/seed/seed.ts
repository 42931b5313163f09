/**
 * `seed()`: check the target, plan, then generate every table's rows as streams and load them in
 * parallel, one connection per table, parents first. Generation runs on this thread in slices,
 * yielding to the event loop so the loads progress meanwhile; a table whose loads fall behind holds
 * the generator back (bounded memory).
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Connection, ConnectionOptions } from 'mysql2';
import { DatabaseManager, type DatabaseManagerConfig, quoteId, resolveTarget } from '../db/index.js';
import { SeedError } from '../errors.js';
import { Calendar, DAY } from './calendar.js';
import {
  buildCatalog,
  CATEGORY_COLUMNS,
  PRODUCT_COLUMNS,
  writeCategories,
  writeProducts,
} from './catalog.js';
import { ADDRESS_COLUMNS, CUSTOMER_COLUMNS, CustomerWriter } from './customers.js';
import { MOVEMENT_COLUMNS, StockLedger } from './inventory.js';
import { closeConnection, LoadSlots, openLoadConnection, run, TableLoader } from './loader.js';
import { resolveSeedOptions, type SeedOptions } from './options.js';
import { ORDER_COLUMNS, ORDER_ITEM_COLUMNS, OrderWriter, PAYMENT_COLUMNS } from './orders.js';
import { buildPlan } from './plan.js';
import { checkTarget } from './preflight.js';
import { hash32, Random } from './random.js';
import { DateTimeFormatter } from './tsv.js';
import { SEED_TABLES, type SeedProgress, type SeedResult, type SeedTable } from './types.js';

const COLUMNS: Record<SeedTable, readonly string[]> = {
  categories: CATEGORY_COLUMNS,
  products: PRODUCT_COLUMNS,
  customers: CUSTOMER_COLUMNS,
  addresses: ADDRESS_COLUMNS,
  orders: ORDER_COLUMNS,
  order_items: ORDER_ITEM_COLUMNS,
  inventory_movements: MOVEMENT_COLUMNS,
  payments: PAYMENT_COLUMNS,
};

/** Rows per LOAD DATA statement at most (chunks are also cut at 4 MB, ~50k order lines). */
const CHUNK_ROWS = 100_000;
/** LOAD DATA statements running at once (measured on 2 cores: 3 beat 2 and 4). */
const PARALLEL_LOADS = 3;
/** Customers / orders generated between two looks at the event loop. */
const SLICE = 1_000;

/**
 * Fill an empty, migrated database with deterministic sample data: catalogue, customers with
 * addresses, orders with items, payments and stock movements. The same options (and seed) always
 * give byte-identical rows. Refuses (SeedError) when the schema is missing or the tables hold
 * rows; invalid options are a UsageError before anything connects.
 *
 * <!-- example: run fresh -->
 * ```ts
 * const result = await seed(config, { customers: 1_000, orders: 3_000, seed: 7 });
 * console.log(result.rows.orders, result.ms);
 * ```
 */
export async function seed(config: DatabaseManagerConfig, options: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const o = resolveSeedOptions(options);
  const report = options.onProgress ?? (() => {});
  const database = config.connection.database;
  const admin = new DatabaseManager({
    ...config,
    connection: { ...config.connection, database: undefined, replicas: [] },
    pool: { ...config.pool, size: 2 },
  });
  let lock: Connection | undefined;
  try {
    await admin.initialize();
    const target = resolveTarget(config.connection, config.sandbox, config.usesSandbox ?? false);
    if (database) lock = await acquireLock(target.options, database);
    const name = await checkTarget(admin, database);
    report({ phase: 'check', table: null, rows: 0, totalRows: 0 });
    const rows = await generateAndLoad({ ...target.options, database: name }, o, report, options.signal);
    const totalRows = SEED_TABLES.reduce((sum, t) => sum + rows.rows[t], 0);
    return { database: name, ...o, ...rows, totalRows, ms: Math.round(performance.now() - started) };
  } finally {
    if (lock) await closeConnection(lock);
    await admin.close();
  }
}

/** The seed lock's name; a long database name is hashed so distinct names never share a lock. */
export function seedLockName(database: string): string {
  const name = `mysqlops_seed:${database}`;
  if (name.length <= 64) return name;
  return `mysqlops_seed:${createHash('sha256')
    .update(database, 'utf8')
    .digest('hex')
    .slice(0, 64 - 'mysqlops_seed:'.length)}`;
}

async function acquireLock(options: ConnectionOptions, database: string): Promise<Connection> {
  const conn = await openLoadConnection({ ...options, database: undefined });
  const [row] = await run<Array<{ got: number | null }>>(conn, 'SELECT GET_LOCK(?, 0) AS got', [
    seedLockName(database),
  ]);
  if (row?.got !== 1) {
    await closeConnection(conn);
    throw new SeedError({
      message: `another seed into database "${database}" is running`,
      hint: 'wait for it to finish (the lock is released when its session ends)',
    });
  }
  return conn;
}

async function generateAndLoad(
  options: ConnectionOptions,
  o: ReturnType<typeof resolveSeedOptions>,
  report: (e: SeedProgress) => void,
  signal: AbortSignal | undefined,
): Promise<Pick<SeedResult, 'rows' | 'loadMs'>> {
  const cal = new Calendar(o.endDate, o.years);
  const fmt = new DateTimeFormatter(cal.start - 400 * DAY);
  const itemsKey = hash32(o.seed, 0x5eed);
  const plan = buildPlan(new Random(o.seed, 'plan'), cal, o, itemsKey);
  const catalog = buildCatalog(new Random(o.seed, 'catalog'), { ...o, start: cal.start, end: cal.end });
  const totals: Record<SeedTable, number> = {
    categories: catalog.categories.length,
    products: o.products,
    customers: o.customers,
    addresses: plan.addresses,
    orders: o.orders,
    order_items: plan.orderItems,
    inventory_movements: Math.round(plan.orderItems * 1.1) + 2 * o.products,
    payments: Math.round(o.orders * 1.1),
  };
  for (const table of SEED_TABLES) report({ phase: 'plan', table, rows: 0, totalRows: totals[table] });

  const connections = await openConnections(options, SEED_TABLES.length);
  const slots = new LoadSlots(PARALLEL_LOADS);
  const loaders = Object.fromEntries(
    SEED_TABLES.map((table, i) => [
      table,
      new TableLoader(table, COLUMNS[table], connections[i] as Connection, {
        chunkRows: CHUNK_ROWS,
        slots,
        maxQueued: 0,
        onLoaded: (rows) => report({ phase: 'load', table, rows, totalRows: totals[table] }),
      }),
    ]),
  ) as Record<SeedTable, TableLoader>;
  const finishing: Promise<void>[] = [];
  const finish = (table: SeedTable) => {
    const loader = loaders[table];
    const done = loader.finish().then(() => {
      totals[table] = loader.loaded;
      report({ phase: 'done', table, rows: loader.loaded, totalRows: loader.loaded });
    });
    done.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    finishing.push(done);
  };
  const ready = async (...tables: SeedTable[]) => {
    await yieldToEventLoop();
    await untilAborted(Promise.all(tables.map((t) => loaders[t].ready())), signal);
  };

  try {
    writeCategories(
      new Random(o.seed, 'categories'),
      catalog,
      cal.start - 90 * DAY,
      fmt,
      loaders.categories.add,
    );
    finish('categories');
    writeProducts(new Random(o.seed, 'products'), catalog, fmt, loaders.products.add);
    finish('products');

    const people = new CustomerWriter(new Random(o.seed, 'customers'), plan, fmt, cal.end);
    for (let from = 0; from < o.customers; from += SLICE) {
      const to = Math.min(from + SLICE, o.customers);
      for (let i = from; i < to; i++) people.write(i, loaders.customers.add, loaders.addresses.add);
      await ready('customers', 'addresses');
    }
    finish('customers');
    finish('addresses');

    const rng = new Random(o.seed, 'orders');
    const ledger = new StockLedger(catalog, rng, fmt, loaders.inventory_movements.add);
    const writer = new OrderWriter(
      { rng, cal, plan, catalog, ledger, fmt },
      { orders: loaders.orders.add, items: loaders.order_items.add, payments: loaders.payments.add },
      itemsKey,
    );
    ledger.open();
    for (let from = 0; from < o.orders; from += SLICE) {
      writer.write(from, Math.min(from + SLICE, o.orders));
      await ready('orders', 'order_items', 'inventory_movements', 'payments');
    }
    ledger.finish(cal.end - 1);
    totals.inventory_movements = ledger.movements;
    totals.payments = writer.payments;
    for (const table of ['orders', 'order_items', 'inventory_movements', 'payments'] as const) finish(table);
    await untilAborted(Promise.all(finishing), signal);
  } catch (err) {
    await abandonLoads(connections, options, finishing);
    const cleaned = await removePartialData(options);
    const cause = err instanceof SeedError ? err : undefined;
    throw new SeedError({
      message: `${cause?.message ?? `seeding failed: ${err instanceof Error ? err.message : String(err)}`}${cleaned ? ' (the rows loaded so far were removed)' : ' (rows loaded so far remain: empty the tables before seeding again)'}`,
      hint: cause?.hint,
      cause: err,
    });
  }
  await Promise.all(connections.map(closeConnection));
  const rows = {} as Record<SeedTable, number>;
  const loadMs = {} as Record<SeedTable, number>;
  for (const t of SEED_TABLES) {
    rows[t] = loaders[t].loaded;
    loadMs[t] = Math.round(loaders[t].loadMs);
  }
  return { rows, loadMs };
}

/**
 * `work`, or a SeedError as soon as `signal` aborts (checked before waiting too), so an interrupt
 * is noticed between slices and while the last loads finish.
 */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const interrupted = () =>
    new SeedError({ message: 'seeding was interrupted', hint: 'run mysqlops seed again to start over' });
  if (signal.aborted) throw interrupted();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(interrupted());
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** How long a failed run waits for killed loads to report back before cleaning up. */
const ABANDON_WAIT_MS = 5000;

/** All or nothing: `count` loading connections, or none left open and the first error. */
async function openConnections(options: ConnectionOptions, count: number): Promise<Connection[]> {
  const opened = await Promise.allSettled(Array.from({ length: count }, () => openLoadConnection(options)));
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const connections = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    for (const conn of connections) conn.destroy();
    throw failed.reason;
  }
  return connections;
}

/**
 * Stop every load still running after a failure. Destroying a mysql2 connection leaves its
 * in-flight LOAD DATA callback pending forever, so the server is asked to end the sessions
 * (KILL CONNECTION from a side connection), which makes each pending statement fail; the wait
 * for them is bounded either way.
 */
async function abandonLoads(
  connections: Connection[],
  options: ConnectionOptions,
  finishing: Promise<void>[],
): Promise<void> {
  let admin: Connection | undefined;
  try {
    admin = await openLoadConnection(options);
    for (const conn of connections) {
      const id = conn.threadId;
      // A thread id is a server-issued integer; checked before it is written into the statement.
      if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) {
        await run(admin, `KILL CONNECTION ${id}`).catch(() => undefined);
      }
    }
  } catch {
    // Cannot reach the server: the destroy below still frees our side.
  } finally {
    if (admin) await closeConnection(admin);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(finishing),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ABANDON_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  for (const conn of connections) conn.destroy();
}

/** Empty the tables again after a failed run (they were empty before it, under our lock). */
async function removePartialData(options: ConnectionOptions): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await openLoadConnection(options);
    for (const table of [...SEED_TABLES].reverse()) await run(conn, `TRUNCATE TABLE ${quoteId(table)}`);
    return true;
  } catch {
    return false;
  } finally {
    if (conn) await closeConnection(conn);
  }
}
