/**
 * The catalogue: the category tree (from the outline in catalog-words.ts) and the products, with
 * what the order generator needs to know about each product in typed arrays: price, popularity,
 * reorder level, restock quantity and its stock "fate" at the end date (in stock, at reorder
 * level, or sold out).
 */
import { DAY } from './calendar.js';
import { ADJECTIVES, BRANDS, CATEGORY_OUTLINE, FEATURES, VARIANTS } from './catalog-words.js';
import { cumulate, type Random } from './random.js';
import { cents, type DateTimeFormatter, TSV_NULL, tsvLine, tsvText } from './tsv.js';

export const CATEGORY_COLUMNS = [
  'category_id',
  'parent_id',
  'name',
  'slug',
  'description',
  'sort_order',
  'is_active',
  'created_at',
  'updated_at',
] as const;

export const PRODUCT_COLUMNS = [
  'product_id',
  'sku',
  'name',
  'description',
  'category_id',
  'price',
  'cost',
  'reorder_level',
  'is_active',
  'created_at',
  'updated_at',
] as const;

/** What each product ends the history as: in stock, at or below its reorder level, or sold out. */
export const FATE_IN_STOCK = 0;
export const FATE_REORDER = 1;
export const FATE_OUT_OF_STOCK = 2;

interface CategoryNode {
  id: number;
  parentId: number | null;
  name: string;
  slug: string;
  depth: number;
  sortOrder: number;
  rootCode: string;
  nouns: string[] | null;
  priceRange: [number, number] | null;
}

/** Products as typed arrays, indexed by product_id - 1. */
export interface Catalog {
  categories: CategoryNode[];
  count: number;
  priceCents: Uint32Array;
  /** Running sums of popularity weights (draw with Random.weighted). */
  popularity: Float64Array;
  reorderLevel: Uint32Array;
  restockQuantity: Uint32Array;
  openingStock: Uint32Array;
  createdAt: Uint32Array;
  fate: Uint8Array;
  /** No purchase orders after this time (epoch seconds): the product is being sold down. */
  replenishUntil: Float64Array;
  /** 1 for discontinued (inactive) products, a subset of the sold-out fate. */
  discontinued: Uint8Array;
  /** Index into `categories` of the product's leaf category. */
  leaf: Uint16Array;
  costCents: Uint32Array;
}

export interface CatalogInput {
  products: number;
  orders: number;
  start: number;
  end: number;
}

/** Mean line count and quantity per line, for estimating each product's demand. */
const UNITS_PER_ORDER = 3.34 * 1.3;

/** Build the tree and the products' numbers; rows are written by `writeCategories`/`writeProducts`. */
export function buildCatalog(rng: Random, input: CatalogInput): Catalog {
  const categories = parseOutline(CATEGORY_OUTLINE);
  const n = input.products;
  const popularityWeights = new Float64Array(n);
  const rank = rng.permutation(n);
  for (let p = 0; p < n; p++) popularityWeights[p] = 1 / ((rank[p] as number) + 1) ** 0.8;
  const totalWeight = popularityWeights.reduce((a, b) => a + b, 0);
  const days = (input.end - input.start) / DAY;

  const catalog: Catalog = {
    categories,
    count: n,
    priceCents: new Uint32Array(n),
    costCents: new Uint32Array(n),
    leaf: new Uint16Array(n),
    discontinued: new Uint8Array(n),
    popularity: cumulate(popularityWeights),
    reorderLevel: new Uint32Array(n),
    restockQuantity: new Uint32Array(n),
    openingStock: new Uint32Array(n),
    createdAt: new Uint32Array(n),
    fate: new Uint8Array(n),
    replenishUntil: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
  };
  const leaves = categories.filter((c) => c.nouns !== null);
  const spread = rng.permutation(leaves.length);
  for (let p = 0; p < n; p++) {
    // Every leaf gets a product before any gets a second one.
    const leaf = leaves[
      p < leaves.length ? (spread[p] as number) : rng.int(0, leaves.length - 1)
    ] as CategoryNode;
    const [lo, hi] = leaf.priceRange as [number, number];
    const dollars = Math.floor(Math.exp(Math.log(lo) + rng.float() ** 1.6 * (Math.log(hi) - Math.log(lo))));
    const ending = rng.chance(0.65) ? 99 : rng.chance(0.45) ? 49 : 0;
    const price = Math.max(dollars * 100 + ending, 199);
    catalog.leaf[p] = leaf.id - 1;
    catalog.priceCents[p] = price;
    catalog.costCents[p] = Math.min(Math.max(Math.round(price * rng.range(0.35, 0.72)), 1), price - 1);
    const perDay = ((popularityWeights[p] as number) / totalWeight) * input.orders * (UNITS_PER_ORDER / days);
    const level = Math.min(Math.max(Math.round(perDay * 14) + 2, 3), 5000);
    const restock = Math.max(Math.round(perDay * 45), 8);
    catalog.reorderLevel[p] = level;
    catalog.restockQuantity[p] = restock;
    catalog.openingStock[p] = level + restock + Math.round(perDay * 30);
    catalog.createdAt[p] = input.start - rng.int(10 * DAY, 120 * DAY);
  }
  assignFates(rng, catalog, input.end);
  return catalog;
}

/**
 * Every fate occurs (at least one product each): about 7% end sold out (among them the discontinued
 * ones, ~3%), 12% at their reorder level, the rest in stock. Sold-out and reorder products stop
 * being replenished some weeks before the end, so they get there by selling.
 */
function assignFates(rng: Random, catalog: Catalog, end: number): void {
  const n = catalog.count;
  const order = rng.permutation(n);
  const soldOut = Math.max(1, Math.round(n * 0.07));
  const reorder = Math.max(1, Math.round(n * 0.12));
  const discontinued = Math.round(n * 0.03);
  for (let i = 0; i < n; i++) {
    const p = order[i] as number;
    if (i < soldOut) {
      catalog.fate[p] = FATE_OUT_OF_STOCK;
      catalog.replenishUntil[p] = end - (i < discontinued ? rng.int(60, 400) : rng.int(45, 120)) * DAY;
      if (i < discontinued) catalog.discontinued[p] = 1;
    } else if (i < soldOut + reorder) {
      catalog.fate[p] = FATE_REORDER;
      catalog.replenishUntil[p] = end - rng.int(10, 30) * DAY;
    }
  }
}

/** Parse the outline into nodes, ids in pre-order so parents precede children. */
export function parseOutline(outline: string): CategoryNode[] {
  const nodes: CategoryNode[] = [];
  const stack: CategoryNode[] = [];
  const slugs = new Set<string>();
  const siblings = new Map<number | null, number>();
  for (const raw of outline.split('\n')) {
    if (raw.trim() === '') continue;
    const depth = (raw.length - raw.trimStart().length) / 2;
    const [head, rest] = raw.trim().split(':') as [string, string | undefined];
    stack.length = depth;
    const parent = depth > 0 ? (stack[depth - 1] ?? null) : null;
    let slug = slugify(head);
    if (slugs.has(slug) && parent) slug = `${parent.slug}-${slug}`;
    slugs.add(slug);
    const parentId = parent?.id ?? null;
    const sortOrder = siblings.get(parentId) ?? 0;
    siblings.set(parentId, sortOrder + 1);
    let nouns: string[] | null = null;
    let priceRange: [number, number] | null = null;
    if (rest !== undefined) {
      const [list, range] = rest.split('|') as [string, string];
      nouns = list.split(',').map((s) => s.trim());
      const [lo, hi] = range.trim().split('-').map(Number) as [number, number];
      priceRange = [lo, hi];
    }
    const node: CategoryNode = {
      id: nodes.length + 1,
      parentId,
      name: head,
      slug,
      depth,
      sortOrder,
      rootCode: parent ? parent.rootCode : slug.replace(/-/g, '').slice(0, 3).toUpperCase(),
      nouns,
      priceRange,
    };
    nodes.push(node);
    stack[depth] = node;
  }
  return nodes;
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f']/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** One line per category. Categories were set up 90 days before the history starts. */
export function writeCategories(
  rng: Random,
  catalog: Catalog,
  created: number,
  fmt: DateTimeFormatter,
  emit: (line: string) => void,
): void {
  for (const c of catalog.categories) {
    const at = fmt.format(created + c.id * 60);
    const description = rng.chance(0.6) ? `Shop ${c.name.toLowerCase()} from brands you trust.` : null;
    emit(tsvLine([c.id, c.parentId, c.name, c.slug, description, c.sortOrder, 1, at, at]));
  }
}

/** One line per product (names, SKUs and descriptions are drawn here, numbers in buildCatalog). */
export function writeProducts(
  rng: Random,
  catalog: Catalog,
  fmt: DateTimeFormatter,
  emit: (line: string) => void,
): void {
  for (let p = 0; p < catalog.count; p++) {
    const leaf = catalog.categories[catalog.leaf[p] as number] as CategoryNode;
    const noun = rng.pick(leaf.nouns as string[]);
    const brand = rng.pick(BRANDS);
    const adjective = rng.chance(0.7) ? `${rng.pick(ADJECTIVES)} ` : '';
    const variant = rng.chance(0.45) ? `, ${rng.pick(VARIANTS)}` : '';
    const name = `${brand} ${adjective}${noun}${variant}`;
    const description = rng.chance(0.85)
      ? `${adjective || 'Our '}${noun.toLowerCase()} by ${brand}. ${rng.pick(FEATURES)}.`
      : null;
    const id = p + 1;
    const sku = `${leaf.rootCode}-${leaf.slug.replace(/-/g, '').slice(0, 3).toUpperCase()}-${String(id).padStart(6, '0')}`;
    const created = catalog.createdAt[p] as number;
    const discontinued = catalog.discontinued[p] === 1;
    const updated = discontinued ? (catalog.replenishUntil[p] as number) : created;
    emit(
      `${id}\t${sku}\t${tsvText(name)}\t${description === null ? TSV_NULL : tsvText(description)}\t${leaf.id}\t` +
        `${cents(catalog.priceCents[p] as number)}\t${cents(catalog.costCents[p] as number)}\t${catalog.reorderLevel[p]}\t${discontinued ? 0 : 1}\t` +
        `${fmt.format(created)}\t${fmt.format(updated)}\n`,
    );
  }
}
