import { CacheDurationError } from './errors.js';

/**
 * A duration: a number of SECONDS (`300`, `0.5`), or a string with a unit:
 * `'500ms'`, `'5s'`, `'5m'`, `'1h'`, `'1d'` (a bare numeric string such as `'300'` is seconds too).
 */
export type Duration = number | `${number}` | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/** The one duration rule of this package: returns milliseconds or throws a CacheDurationError naming `field`. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value * 1000);
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (match) return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
  }
  throw new CacheDurationError(
    field,
    `expected seconds as a non-negative number or a string like '500ms', '5s', '5m', '1h', '1d'; got ${JSON.stringify(
      typeof value === 'bigint' ? String(value) : value,
    )}`,
  );
}
