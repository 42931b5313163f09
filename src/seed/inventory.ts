/**
 * The stock ledger behind inventory_movements. Orders are generated in time order; the ledger
 * keeps each product's stock at the generator's clock and writes every movement:
 * - opening stock (`purchase`) before the history starts;
 * - a `sale` per order line; when stock falls to the reorder level a purchase order is placed and
 *   its receipt (`purchase`) arrives 2-8 days later; if a sale would still drive stock below zero,
 *   an expedited receipt arrives just before it, so stock is never negative at any moment;
 * - `cancellation` and `return` credits, queued until their time comes (a min-heap by time);
 * - at the very end, a stock count (`adjustment`) or a last delivery moves each product to its
 *   fate: in stock, at/below its reorder level, or sold out.
 */

import { DAY } from './calendar.js';
import { type Catalog, FATE_IN_STOCK, FATE_OUT_OF_STOCK, FATE_REORDER } from './catalog.js';
import type { Random } from './random.js';
import { type DateTimeFormatter, TSV_NULL, tsvText } from './tsv.js';

export const MOVEMENT_COLUMNS = [
  'movement_id',
  'product_id',
  'quantity',
  'reason',
  'reference_type',
  'reference_id',
  'note',
  'moved_at',
  'created_at',
  'updated_at',
] as const;

type Credit = 'purchase' | 'return' | 'cancellation';

interface Pending {
  at: number;
  seq: number;
  product: number;
  quantity: number;
  reason: Credit;
  reference: number;
}

export class StockLedger {
  readonly #catalog: Catalog;
  readonly #rng: Random;
  readonly #fmt: DateTimeFormatter;
  readonly #emit: (line: string) => void;
  readonly #stock: Int32Array;
  readonly #onOrder: Uint8Array;
  readonly #heap: Pending[] = [];
  #seq = 0;
  #nextMovementId = 1;
  #nextPurchaseOrder = 1;

  constructor(catalog: Catalog, rng: Random, fmt: DateTimeFormatter, emit: (line: string) => void) {
    this.#catalog = catalog;
    this.#rng = rng;
    this.#fmt = fmt;
    this.#emit = emit;
    this.#stock = new Int32Array(catalog.count);
    this.#onOrder = new Uint8Array(catalog.count);
  }

  /** Movements written so far. */
  get movements(): number {
    return this.#nextMovementId - 1;
  }

  /** Opening stock for every product, received the day after it was listed. */
  open(): void {
    for (let p = 0; p < this.#catalog.count; p++) {
      const quantity = this.#catalog.openingStock[p] as number;
      this.#write(
        p,
        quantity,
        'purchase',
        'purchase_order',
        this.#nextPurchaseOrder++,
        'opening stock',
        (this.#catalog.createdAt[p] as number) + DAY,
      );
      this.#stock[p] = quantity;
    }
  }

  /** Apply every queued credit due at or before `t` (call with non-decreasing `t`). */
  advance(t: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && (heap[0] as Pending).at <= t) {
      const e = popMin(heap);
      this.#stock[e.product] = (this.#stock[e.product] as number) + e.quantity;
      if (e.reason === 'purchase') {
        this.#onOrder[e.product] = 0;
        this.#write(e.product, e.quantity, 'purchase', 'purchase_order', e.reference, null, e.at);
      } else {
        this.#write(e.product, e.quantity, e.reason, 'order', e.reference, null, e.at);
      }
    }
  }

  /**
   * How many of `quantity` units of `p` can be sold at `t`: all of them while the product is
   * replenished (an expedited receipt covers a shortfall), else what is on the shelf.
   */
  sellable(p: number, quantity: number, t: number): number {
    if (t <= (this.#catalog.replenishUntil[p] as number)) return quantity;
    return Math.min(quantity, Math.max(this.#stock[p] as number, 0));
  }

  /** Record the sale of `quantity` units of `p` for order `orderId` at `t`. */
  sell(p: number, quantity: number, t: number, orderId: number): void {
    const catalog = this.#catalog;
    const stock = this.#stock[p] as number;
    if (stock < quantity) {
      const receipt = quantity - stock + (catalog.restockQuantity[p] as number);
      this.#write(
        p,
        receipt,
        'purchase',
        'purchase_order',
        this.#nextPurchaseOrder++,
        'expedited receipt',
        t - this.#rng.int(600, 7200),
      );
      this.#stock[p] = stock + receipt;
    }
    const after = (this.#stock[p] as number) - quantity;
    this.#stock[p] = after;
    this.#write(p, -quantity, 'sale', 'order', orderId, null, t);
    const level = catalog.reorderLevel[p] as number;
    if (after <= level && this.#onOrder[p] === 0 && t <= (catalog.replenishUntil[p] as number)) {
      this.#onOrder[p] = 1;
      const arrives = t + this.#rng.int(2 * DAY, 8 * DAY);
      this.#queue(
        arrives,
        p,
        (catalog.restockQuantity[p] as number) + level - after,
        'purchase',
        this.#nextPurchaseOrder++,
      );
    }
  }

  /** Queue a credit (a cancelled or returned line) for time `at`. */
  credit(p: number, quantity: number, at: number, reason: 'return' | 'cancellation', orderId: number): void {
    this.#queue(at, p, quantity, reason, orderId);
  }

  /**
   * Close the books at `countAt` (the last second of the history): apply credits due by then (later
   * receipts are still in transit), then bring each product to its fate.
   */
  finish(countAt: number): void {
    this.advance(countAt - 1);
    this.#heap.length = 0;
    const catalog = this.#catalog;
    for (let p = 0; p < catalog.count; p++) {
      const stock = this.#stock[p] as number;
      const level = catalog.reorderLevel[p] as number;
      const fate = catalog.fate[p];
      if (fate === FATE_IN_STOCK && stock <= level) {
        // The delivery that arrived on the last afternoon.
        const receipt = level - stock + (catalog.restockQuantity[p] as number);
        this.#write(
          p,
          receipt,
          'purchase',
          'purchase_order',
          this.#nextPurchaseOrder++,
          null,
          countAt - this.#rng.int(3600, 6 * 3600),
        );
        this.#stock[p] = stock + receipt;
      } else if (fate === FATE_REORDER && (stock > level || stock <= 0)) {
        const target = this.#rng.int(1, level);
        this.#write(p, target - stock, 'adjustment', 'stock_count', 1, 'year-end stock count', countAt);
        this.#stock[p] = target;
      } else if (fate === FATE_OUT_OF_STOCK && stock > 0) {
        this.#write(p, -stock, 'adjustment', 'stock_count', 1, 'year-end stock count: written off', countAt);
        this.#stock[p] = 0;
      }
    }
  }

  #queue(at: number, product: number, quantity: number, reason: Credit, reference: number): void {
    pushMin(this.#heap, { at, seq: this.#seq++, product, quantity, reason, reference });
  }

  #write(
    p: number,
    quantity: number,
    reason: string,
    referenceType: string,
    reference: number,
    note: string | null,
    at: number,
  ): void {
    const when = this.#fmt.format(at);
    this.#emit(
      `${this.#nextMovementId++}\t${p + 1}\t${quantity}\t${reason}\t${referenceType}\t${reference}\t` +
        `${note === null ? TSV_NULL : tsvText(note)}\t${when}\t${when}\t${when}\n`,
    );
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function pushMin(heap: Pending[], item: Pending): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Pending, heap[parent] as Pending)) break;
    [heap[i], heap[parent]] = [heap[parent] as Pending, heap[i] as Pending];
    i = parent;
  }
}

function popMin(heap: Pending[]): Pending {
  const top = heap[0] as Pending;
  const last = heap.pop() as Pending;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l] as Pending, heap[m] as Pending)) m = l;
      if (r < heap.length && before(heap[r] as Pending, heap[m] as Pending)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m] as Pending, heap[i] as Pending];
      i = m;
    }
  }
  return top;
}
