/**
 * Sizes and versions as people write them on the command line (`16G`, `512M`, `10.11`), parsed
 * strictly: a value we cannot read is a usage error, never a silent default.
 */
import { UsageError } from '../errors.js';

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

const SUFFIX: Record<string, number> = { '': 1, K: KIB, M: MIB, G: GIB, T: 1024 * GIB };

/** Parse `16G`, `512M`, `1.5G`, `1073741824` (bytes) into bytes; UsageError otherwise. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m?.[1]) {
    throw new UsageError(
      `${what} ${JSON.stringify(text)} is not a size`,
      'write a number with an optional K, M, G or T suffix, e.g. 16G or 512M',
    );
  }
  const unit = SUFFIX[(m[2] ?? '').toUpperCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

/** Bytes in the largest unit that divides them exactly (`16G`, `384M`), as my.cnf accepts them. */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [
    ['G', GIB],
    ['M', MIB],
    ['K', KIB],
  ] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** Round down to a multiple of `step` (never below `step`). */
export function floorTo(bytes: number, step: number): number {
  return Math.max(step, Math.floor(bytes / step) * step);
}

export interface VersionNumber {
  major: number;
  minor: number;
}

/** Parse `10.11`, `8.0.36`, `8.4` (extra parts are kept only as far as major.minor.patch). */
export function parseVersionFlag(text: string): VersionNumber & { patch: number } {
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m?.[1] || !m[2]) {
    throw new UsageError(
      `version ${JSON.stringify(text)} is not a server version`,
      'write it as 10.11 or 8.0.36',
    );
  }
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}
