import {
  DURATION_FORM,
  type Duration,
  type DurationUnit,
  durationToMs,
} from '@redis-toolkit/connection';
import { RateLimitConfigError } from './errors.js';

export type { Duration, DurationUnit };

/** The toolkit's duration rule (a number is seconds; strings carry a unit) → whole ms (>= 1), or a RateLimitConfigError naming `field`. */
export function parseDuration(value: unknown, field: string): number {
  const ms = durationToMs(value);
  if (ms !== undefined && ms >= 1) return ms;
  throw new RateLimitConfigError(field, `${DURATION_FORM}, at least 1 ms`, value);
}
