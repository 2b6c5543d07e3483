import { DURATION_FORM, type Duration, durationToMs } from '@redis-toolkit/connection';
import { CacheDurationError } from './errors.js';

export type { Duration };

/** The toolkit's duration rule (a number is seconds; strings carry a unit) → ms, or a CacheDurationError naming `field`. */
export function parseDuration(value: unknown, field: string): number {
  const ms = durationToMs(value);
  if (ms !== undefined) return ms;
  const shown = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  throw new CacheDurationError(field, `expected ${DURATION_FORM} (not negative); got ${shown}`);
}
