import { RateLimitConfigError } from './errors.js';

/** Milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'15m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses a {@link Duration} into whole milliseconds (>= 1); throws `RateLimitConfigError` naming `field`. */
export function parseDuration(value: unknown, field: string): number {
  const expected =
    "a positive number of milliseconds or a string like '500ms', '30s', '15m', '1h', '1d'";
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 1) return Math.floor(value);
    throw new RateLimitConfigError(field, expected, value);
  }
  if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (match) {
      const ms = Math.floor(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
      if (ms >= 1) return ms;
    }
  }
  throw new RateLimitConfigError(field, expected, value);
}
