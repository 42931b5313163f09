/**
 * Customers and their addresses as rows: names, unique emails, phones, password hashes, the
 * segment (from the plan's order counts and dates, see `segmentOf`), and per customer one or more
 * shipping and billing addresses in the customer's country, the first of each kind the default.
 */
import { DAY } from './calendar.js';
import {
  CA_AREA_CODES,
  COUNTRIES,
  type Country,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  LOCAL_STREETS,
  STREET_SUFFIXES,
  STREETS,
  US_AREA_CODES,
} from './names.js';
import type { Plan } from './plan.js';
import type { Random } from './random.js';
import { type DateTimeFormatter, TSV_NULL, tsvText } from './tsv.js';

export const CUSTOMER_COLUMNS = [
  'customer_id',
  'email',
  'first_name',
  'last_name',
  'phone',
  'segment',
  'password_hash',
  'is_active',
  'created_at',
  'updated_at',
] as const;

export const ADDRESS_COLUMNS = [
  'address_id',
  'customer_id',
  'address_type',
  'is_default',
  'recipient_name',
  'line1',
  'line2',
  'city',
  'region',
  'postal_code',
  'country_code',
  'created_at',
  'updated_at',
] as const;

/**
 * A customer's segment as `segmentOf` derives it from the order history; the customer ETL pipeline applies
 * the same rule (docs/etl.md).
 */
export type Segment = 'new' | 'regular' | 'vip' | 'at_risk' | 'churned';

/**
 * The segment rule, as of `now` (first match wins):
 * 1. no orders yet → `new`;
 * 2. last order more than 365 days ago → `churned`;
 * 3. last order more than 180 days ago → `at_risk`;
 * 4. first order within the last 90 days → `new`;
 * 5. 10 or more orders → `vip`;
 * 6. otherwise → `regular`.
 */
export function segmentOf(orders: number, firstOrderAt: number, lastOrderAt: number, now: number): Segment {
  if (orders === 0) return 'new';
  if (now - lastOrderAt > 365 * DAY) return 'churned';
  if (now - lastOrderAt > 180 * DAY) return 'at_risk';
  if (now - firstOrderAt <= 90 * DAY) return 'new';
  if (orders >= 10) return 'vip';
  return 'regular';
}

const HASH_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GB_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Writes customer `i` (0-based) and its addresses. */
export class CustomerWriter {
  readonly #rng: Random;
  readonly #plan: Plan;
  readonly #fmt: DateTimeFormatter;
  readonly #now: number;

  constructor(rng: Random, plan: Plan, fmt: DateTimeFormatter, now: number) {
    this.#rng = rng;
    this.#plan = plan;
    this.#fmt = fmt;
    this.#now = now;
  }

  write(i: number, customers: (line: string) => void, addresses: (line: string) => void): void {
    const rng = this.#rng;
    const plan = this.#plan;
    const id = i + 1;
    const country = COUNTRIES[plan.country[i] as number] as Country;
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const orders = plan.orderCount[i] as number;
    const created = plan.createdAt[i] as number;
    const lastOrder = plan.lastOrderAt[i] as number;
    const segment = segmentOf(orders, plan.firstOrderAt[i] as number, lastOrder, this.#now);
    const longIdle = orders === 0 ? this.#now - created > 365 * DAY : segment === 'churned';
    const active = longIdle && rng.chance(0.12) ? 0 : 1;
    const phone = rng.chance(0.88) ? phoneNumber(rng, country) : null;
    const hash = rng.chance(0.88) ? passwordHash(rng) : null;
    const createdText = this.#fmt.format(created);
    customers(
      `${id}\t${email(rng, first, last, id)}\t${tsvText(first)}\t${tsvText(last)}\t${phone ?? TSV_NULL}\t` +
        `${segment}\t${hash ?? TSV_NULL}\t${active}\t${createdText}\t${this.#fmt.format(Math.max(created, lastOrder))}\n`,
    );

    const name = `${first} ${last}`;
    const city = rng.pick(country.cities);
    let addressId = plan.firstAddressId[i] as number;
    const home = {
      line1: streetLine(rng, country),
      line2: secondLine(rng, country),
      city,
      postal: postalCode(rng, country, city.postal),
    };
    const shipping = plan.shippingAddresses[i] as number;
    for (let k = 0; k < shipping; k++) {
      // Extra shipping addresses: work, family, a holiday home - sometimes for someone else.
      const place = k === 0 ? home : newPlace(rng, country);
      const recipient = k > 0 && rng.chance(0.3) ? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}` : name;
      addresses(addressLine(addressId++, id, 'shipping', k === 0, recipient, place, country, createdText));
    }
    const billing = plan.billingAddresses[i] as number;
    for (let k = 0; k < billing; k++) {
      // Most bill to the address they ship to.
      const place = k === 0 && rng.chance(0.7) ? home : newPlace(rng, country);
      addresses(addressLine(addressId++, id, 'billing', k === 0, name, place, country, createdText));
    }
  }
}

interface Place {
  line1: string;
  line2: string | null;
  city: Country['cities'][number];
  postal: string;
}

function newPlace(rng: Random, country: Country): Place {
  const city = rng.pick(country.cities);
  return {
    line1: streetLine(rng, country),
    line2: secondLine(rng, country),
    city,
    postal: postalCode(rng, country, city.postal),
  };
}

function addressLine(
  addressId: number,
  customerId: number,
  type: 'shipping' | 'billing',
  isDefault: boolean,
  recipient: string,
  place: Place,
  country: Country,
  created: string,
): string {
  return (
    `${addressId}\t${customerId}\t${type}\t${isDefault ? 1 : '\\N'}\t${tsvText(recipient)}\t${tsvText(place.line1)}\t` +
    `${tsvText(place.line2)}\t${tsvText(place.city.name)}\t${tsvText(place.city.region)}\t${place.postal}\t` +
    `${country.code}\t${created}\t${created}\n`
  );
}

/**
 * `jane.doe.1234@example.com` and variants. The customer id ends the local part right after
 * letters and separators, so two customers can never share an address.
 */
function email(rng: Random, first: string, last: string, id: number): string {
  const f = fold(first);
  const l = fold(last);
  const r = rng.float();
  const local =
    r < 0.4
      ? `${f}.${l}`
      : r < 0.6
        ? `${f}${l}`
        : r < 0.75
          ? `${f.charAt(0)}${l}`
          : r < 0.85
            ? `${f}_${l}`
            : `${l}.${f}`;
  return `${local}${rng.chance(0.5) ? '.' : ''}${id}@${rng.pick(EMAIL_DOMAINS)}`;
}

/** Lower-case ASCII letters only (`Zoë` → `zoe`, `O'Brien` → `obrien`). */
function fold(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
}

function digits(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** Numbers in ranges reserved for fiction where the country has one (US/CA 555-01xx, UK 020 7946 0xxx). */
function phoneNumber(rng: Random, country: Country): string {
  switch (country.code) {
    case 'US':
      return `+1 ${rng.pick(US_AREA_CODES)}-555-01${digits(rng, 2)}`;
    case 'CA':
      return `+1 ${rng.pick(CA_AREA_CODES)}-555-01${digits(rng, 2)}`;
    case 'GB':
      return `+44 20 7946 0${digits(rng, 3)}`;
    case 'DE':
      return `+49 30 ${digits(rng, 8)}`;
    case 'FR':
      return `+33 1 ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)}`;
    case 'AU':
      return `+61 2 ${digits(rng, 4)} ${digits(rng, 4)}`;
    case 'NL':
      return `+31 20 ${digits(rng, 3)} ${digits(rng, 4)}`;
  }
}

function streetLine(rng: Random, country: Country): string {
  const number = rng.chance(0.8) ? rng.int(1, 399) : rng.int(400, 9999);
  switch (country.code) {
    case 'DE':
    case 'NL':
      return `${rng.pick(LOCAL_STREETS[country.code])} ${rng.int(1, 180)}`;
    case 'FR':
      return `${rng.int(1, 150)} ${rng.pick(LOCAL_STREETS.FR)}`;
    case 'GB':
      return `${rng.int(1, 250)} ${rng.pick(STREETS)} ${rng.pick(STREET_SUFFIXES.GB)}`;
    default:
      return `${number} ${rng.pick(STREETS)} ${rng.pick(STREET_SUFFIXES.short)}`;
  }
}

function secondLine(rng: Random, country: Country): string | null {
  if (!rng.chance(0.15)) return null;
  switch (country.code) {
    case 'US':
    case 'CA':
    case 'AU':
      return `${rng.pick(['Apt', 'Suite', 'Unit'])} ${rng.int(1, 40)}${rng.chance(0.3) ? UPPER.charAt(rng.int(0, 5)) : ''}`;
    case 'GB':
      return `Flat ${rng.int(1, 30)}`;
    default:
      return null;
  }
}

function postalCode(rng: Random, country: Country, prefix: string): string {
  switch (country.code) {
    case 'US':
      return `${prefix}${digits(rng, 2)}`;
    case 'CA':
      return `${prefix} ${rng.int(1, 9)}${UPPER.charAt(rng.int(0, 25))}${rng.int(0, 9)}`;
    case 'GB':
      return `${prefix} ${rng.int(1, 9)}${GB_LETTERS.charAt(rng.int(0, GB_LETTERS.length - 1))}${GB_LETTERS.charAt(rng.int(0, GB_LETTERS.length - 1))}`;
    case 'DE':
    case 'FR':
      return `${prefix}${digits(rng, 3)}`;
    case 'AU':
      return `${prefix}${digits(rng, 3)}`;
    case 'NL':
      return `${prefix}${digits(rng, 2)} ${UPPER.charAt(rng.int(0, 25))}${UPPER.charAt(rng.int(0, 25))}`;
  }
}

/** `$2b$12$` + 53 characters: the shape of a bcrypt hash (no real password behind it). */
function passwordHash(rng: Random): string {
  let s = '$2b$12$';
  for (let i = 0; i < 53; i++) s += HASH_ALPHABET.charAt(rng.uint32() & 63);
  return s;
}
