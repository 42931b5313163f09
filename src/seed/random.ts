/**
 * The seeder's only source of randomness: a small seeded generator (the sfc32 algorithm: four
 * 32-bit words, a counter, add/rotate/xor) and a string hash to seed it. Never Math.random: the
 * same seed must give the same bytes on every machine and every run.
 *
 * Every concern (catalog, customers, plan, orders) draws from its own named stream, so adding a
 * draw in one module does not shift the values of another.
 */

const TWO_POW_32 = 4_294_967_296;

/** Final avalanche of a 32-bit value (every input bit flips about half of the output bits). */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit hash of `text` (UTF-16 code units), varied by `salt`. */
export function hash32(text: string, salt = 0): number {
  let h = (0x811c_9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x0100_0193);
  }
  return mix32(h ^ text.length);
}

/** A uniform float in [0, 1) from the 32-bit hash of (`key`, `index`): for draws that must not depend on order. */
export function hashUnit(key: number, index: number): number {
  return mix32(key ^ mix32(Math.imul(index + 1, 0x9e37_79b1))) / TWO_POW_32;
}

/** The text every seed is reduced to: numbers and strings with the same digits are the same seed. */
export function seedText(seed: number | string): string {
  return typeof seed === 'number' ? String(seed) : seed;
}

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A generator for `seed`; `stream` names an independent sequence derived from the same seed. */
  constructor(seed: number | string, stream = '') {
    const text = `${seedText(seed)}\u0000${stream}`;
    this.#a = hash32(text, 0x1234_5678);
    this.#b = hash32(text, 0x9abc_def0);
    this.#c = hash32(text, 0x0fed_cba9);
    this.#d = 1;
    // The first outputs of a freshly seeded sfc32 are still correlated with the seed words.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** The next uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). 32 bits of resolution, plenty for sampling. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** A uniform float in [min, max). */
  range(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** A log-normal draw with median `median` and shape `sigma`. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Index drawn from cumulative weights (`cumulative[i]` = sum of weights 0..i, last = total). */
  weighted(cumulative: ArrayLike<number>): number {
    return searchCumulative(cumulative, this.float() * (cumulative[cumulative.length - 1] ?? 0));
  }

  /** A Fisher-Yates shuffled copy of 0..n-1. */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }
}

/** The first index whose cumulative weight exceeds `target` (binary search). */
export function searchCumulative(cumulative: ArrayLike<number>, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Running sums of `weights` as a Float64Array (the input of `Random.weighted`). */
export function cumulate(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    out[i] = sum;
  }
  return out;
}
