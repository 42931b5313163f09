/**
 * Deterministic, realistic sample data for the e-commerce schema: `seed(config, options)`.
 * See docs/seed.md for what is generated and the rules behind it.
 */
export { type Segment, segmentOf } from './customers.js';
export {
  type ResolvedSeedOptions,
  resolveSeedOptions,
  SEED_DEFAULTS,
  SEED_LIMITS,
  type SeedOptions,
} from './options.js';
export { seed } from './seed.js';
export { SEED_TABLES, type SeedProgress, type SeedResult, type SeedTable } from './types.js';
