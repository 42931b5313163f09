/**
 * Orders in time order, each with its lines, payments and stock movements. Amounts are integer
 * cents, so the CHECK constraints (line_total = quantity x unit_price - discount; total = subtotal -
 * discount + tax + shipping) hold exactly. Each order's lifecycle (paid, shipped, delivered, maybe
 * cancelled or returned) is drawn in full and then cut at the end of the history: recent orders are
 * still pending, paid or shipped.
 */
import type { Calendar } from './calendar.js';
import { DAY } from './calendar.js';
import type { Catalog } from './catalog.js';
import type { StockLedger } from './inventory.js';
import { COUNTRIES, type Country } from './names.js';
import { decodeOrderKey, lineCount, type Plan, QUIET_END } from './plan.js';
import { cumulate, type Random } from './random.js';
import { cents, type DateTimeFormatter, TSV_NULL } from './tsv.js';

export const ORDER_COLUMNS = [
  'order_id',
  'customer_id',
  'status',
  'billing_address_id',
  'shipping_address_id',
  'currency',
  'subtotal',
  'discount_amount',
  'tax_amount',
  'shipping_amount',
  'total_amount',
  'ordered_at',
  'paid_at',
  'shipped_at',
  'delivered_at',
  'cancelled_at',
  'returned_at',
  'created_at',
  'updated_at',
] as const;

export const ORDER_ITEM_COLUMNS = [
  'order_item_id',
  'order_id',
  'product_id',
  'quantity',
  'unit_price',
  'discount_amount',
  'line_total',
  'created_at',
  'updated_at',
] as const;

export const PAYMENT_COLUMNS = [
  'payment_id',
  'order_id',
  'method',
  'status',
  'amount',
  'provider_ref',
  'processed_at',
  'created_at',
  'updated_at',
] as const;

const METHODS = ['card', 'paypal', 'bank_transfer', 'gift_card'] as const;
type Method = (typeof METHODS)[number];
const METHOD_CUMULATIVE = cumulate([0.68, 0.2, 0.08, 0.04]);
const QUANTITY_CUMULATIVE = cumulate([0.8, 0.14, 0.04, 0.015, 0.005]);
const LINE_DISCOUNTS = [0.1, 0.15, 0.2, 0.25];
const HEX = '0123456789abcdef';

export interface OrderSinks {
  orders: (line: string) => void;
  items: (line: string) => void;
  payments: (line: string) => void;
}

export class OrderWriter {
  readonly #rng: Random;
  readonly #cal: Calendar;
  readonly #plan: Plan;
  readonly #catalog: Catalog;
  readonly #ledger: StockLedger;
  readonly #fmt: DateTimeFormatter;
  readonly #sinks: OrderSinks;
  readonly #itemsKey: number;
  /** Events at or after this moment have not happened yet. */
  readonly #horizon: number;
  readonly #picked = new Int32Array(6);
  readonly #quantities = new Int32Array(6);
  #nextItemId = 1;
  #nextPaymentId = 1;

  constructor(
    deps: {
      rng: Random;
      cal: Calendar;
      plan: Plan;
      catalog: Catalog;
      ledger: StockLedger;
      fmt: DateTimeFormatter;
    },
    sinks: OrderSinks,
    itemsKey: number,
  ) {
    this.#rng = deps.rng;
    this.#cal = deps.cal;
    this.#plan = deps.plan;
    this.#catalog = deps.catalog;
    this.#ledger = deps.ledger;
    this.#fmt = deps.fmt;
    this.#sinks = sinks;
    this.#itemsKey = itemsKey;
    this.#horizon = deps.cal.end - QUIET_END;
  }

  get payments(): number {
    return this.#nextPaymentId - 1;
  }

  /** Write orders `from` to `to - 1` (0-based positions in the plan's sorted keys). */
  write(from: number, to: number): void {
    for (let k = from; k < to; k++) this.#order(k);
  }

  #order(k: number): void {
    const rng = this.#rng;
    const plan = this.#plan;
    const catalog = this.#catalog;
    const fmt = this.#fmt;
    const orderId = k + 1;
    const { at, customer } = decodeOrderKey(plan.orderKeys[k] as number, this.#cal.start);
    this.#ledger.advance(at);

    const lines = this.#pickLines(lineCount(this.#itemsKey, k), at);
    const when = fmt.format(at);
    let subtotal = 0;
    for (let j = 0; j < lines; j++) {
      const p = this.#picked[j] as number;
      const quantity = this.#quantities[j] as number;
      const unit = catalog.priceCents[p] as number;
      const gross = quantity * unit;
      const discount = rng.chance(0.06) ? Math.round(gross * rng.pick(LINE_DISCOUNTS)) : 0;
      subtotal += gross - discount;
      this.#sinks.items(
        `${this.#nextItemId++}\t${orderId}\t${p + 1}\t${quantity}\t${cents(unit)}\t${cents(discount)}\t` +
          `${cents(gross - discount)}\t${when}\t${when}\n`,
      );
      this.#ledger.sell(p, quantity, at, orderId);
    }

    const country = COUNTRIES[plan.country[customer] as number] as Country;
    let discount = 0;
    if (rng.chance(0.09)) {
      discount = subtotal >= 2500 && rng.chance(0.5) ? 500 : Math.round(subtotal * 0.1);
    }
    const base = subtotal - discount;
    const shipping = base >= country.freeShippingFrom ? 0 : country.shippingFee;
    const tax = Math.round((base * country.taxBasisPoints) / 10_000);
    const total = base + tax + shipping;

    // The full lifecycle, then cut at the horizon.
    const method = METHODS[rng.weighted(METHOD_CUMULATIVE)] as Method;
    const failedFirst = (method === 'card' || method === 'paypal') && rng.chance(0.04);
    const attemptAt = at + rng.int(10, 120);
    const payAt =
      method === 'bank_transfer'
        ? at + rng.int(DAY / 2, 3 * DAY)
        : attemptAt + (failedFirst ? rng.int(120, 1800) : rng.int(5, 300));
    const shipAt = payAt + rng.int(Math.round(0.3 * DAY), Math.round(2.5 * DAY));
    const deliverAt =
      shipAt + (country.code === 'US' ? rng.int(1, 5) : rng.int(3, 10)) * DAY + rng.int(0, 8 * 3600);
    const willCancel = rng.chance(0.05);
    const cancelAt = at + rng.int(600, 2 * DAY);
    const willReturn = !willCancel && rng.chance(0.032);
    const returnAt = deliverAt + rng.int(2, 30) * DAY + rng.int(0, DAY - 1);
    const h = this.#horizon;

    let paid: number | null = null;
    let shipped: number | null = null;
    let delivered: number | null = null;
    let cancelled: number | null = null;
    let returned: number | null = null;
    if (willCancel) {
      if (payAt < cancelAt && payAt < h) paid = payAt;
      if (cancelAt < h) cancelled = cancelAt;
    } else {
      if (payAt < h) paid = payAt;
      if (paid !== null && shipAt < h) shipped = shipAt;
      if (shipped !== null && deliverAt < h) delivered = deliverAt;
      if (delivered !== null && willReturn && returnAt < h) returned = returnAt;
    }
    const status =
      cancelled !== null
        ? 'cancelled'
        : returned !== null
          ? 'returned'
          : delivered !== null
            ? 'delivered'
            : shipped !== null
              ? 'shipped'
              : paid !== null
                ? 'paid'
                : 'pending';
    const updated = Math.max(at, paid ?? 0, shipped ?? 0, delivered ?? 0, cancelled ?? 0, returned ?? 0);

    const first = plan.firstAddressId[customer] as number;
    const shippingCount = plan.shippingAddresses[customer] as number;
    const billingCount = plan.billingAddresses[customer] as number;
    const shipTo = first + (shippingCount > 1 && rng.chance(0.15) ? rng.int(1, shippingCount - 1) : 0);
    const billTo = first + shippingCount + (billingCount > 1 && rng.chance(0.1) ? 1 : 0);
    this.#sinks.orders(
      `${orderId}\t${customer + 1}\t${status}\t${billTo}\t${shipTo}\tUSD\t${cents(subtotal)}\t${cents(discount)}\t` +
        `${cents(tax)}\t${cents(shipping)}\t${cents(total)}\t${when}\t${this.#time(paid)}\t${this.#time(shipped)}\t` +
        `${this.#time(delivered)}\t${this.#time(cancelled)}\t${this.#time(returned)}\t${when}\t${fmt.format(updated)}\n`,
    );

    // Payments: a declined first attempt, the capture, and a refund for cancelled-after-payment and returns.
    if ((failedFirst || (cancelled !== null && paid === null && rng.chance(0.4))) && attemptAt < h) {
      if (cancelled === null || attemptAt < cancelled)
        this.#payment(orderId, method, 'failed', total, attemptAt);
    }
    if (paid !== null) this.#payment(orderId, method, 'captured', total, paid);
    else if (cancelled === null && method === 'card' && !failedFirst && attemptAt < h) {
      this.#payment(orderId, method, 'authorized', total, attemptAt);
    }
    if (cancelled !== null && paid !== null) this.#payment(orderId, method, 'refunded', total, cancelled);
    if (returned !== null) this.#payment(orderId, method, 'refunded', total - shipping, returned);

    if (cancelled !== null || returned !== null) {
      const reason = cancelled !== null ? 'cancellation' : 'return';
      const credited = (cancelled ?? returned) as number;
      for (let j = 0; j < lines; j++) {
        this.#ledger.credit(
          this.#picked[j] as number,
          this.#quantities[j] as number,
          credited,
          reason,
          orderId,
        );
      }
    }
  }

  /**
   * Choose `count` distinct products by popularity, with quantities; products being sold down are
   * only taken while they have stock. Returns how many lines were filled (always `count`).
   */
  #pickLines(count: number, at: number): number {
    const rng = this.#rng;
    const catalog = this.#catalog;
    let filled = 0;
    for (let attempt = 0; filled < count; attempt++) {
      let p = rng.weighted(catalog.popularity);
      if (attempt > 60) p = (p + attempt) % catalog.count; // walk the catalogue instead of redrawing forever
      let duplicate = false;
      for (let j = 0; j < filled; j++) if (this.#picked[j] === p) duplicate = true;
      if (duplicate) continue;
      const wanted = rng.weighted(QUANTITY_CUMULATIVE) + 1;
      const quantity = attempt > 60 + catalog.count ? wanted : this.#ledger.sellable(p, wanted, at);
      if (quantity <= 0) continue;
      this.#picked[filled] = p;
      this.#quantities[filled] = quantity;
      filled++;
    }
    return filled;
  }

  #payment(orderId: number, method: Method, status: string, amount: number, at: number): void {
    const when = this.#fmt.format(at);
    this.#sinks.payments(
      `${this.#nextPaymentId++}\t${orderId}\t${method}\t${status}\t${cents(amount)}\t${this.#reference(method, status)}\t` +
        `${when}\t${when}\t${when}\n`,
    );
  }

  /** A payment provider's reference in the provider's usual shape. */
  #reference(method: Method, status: string): string {
    const rng = this.#rng;
    let hex = '';
    for (let i = 0; i < 3; i++) {
      const x = rng.uint32();
      for (let s = 0; s < 32; s += 4) hex += HEX.charAt((x >>> s) & 15);
    }
    switch (method) {
      case 'card':
        return `${status === 'refunded' ? 're' : 'ch'}_${hex.slice(0, 24)}`;
      case 'paypal':
        return `PAYID-${hex.slice(0, 20).toUpperCase()}`;
      case 'bank_transfer':
        return `TRF${hex.slice(0, 14).toUpperCase()}`;
      case 'gift_card':
        return `GC-${hex.slice(0, 16).toUpperCase()}`;
    }
  }

  #time(t: number | null): string {
    return t === null ? TSV_NULL : this.#fmt.format(t);
  }
}
