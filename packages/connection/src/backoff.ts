export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": attempt `n` (1-based) waits a random time between half
 * and all of `min(maxMs, baseMs × 2^(n-1))`. The jitter spreads reconnecting clients apart after
 * an outage; the lower half-bound keeps a retry storm from forming. Never returns `null`: the
 * toolkit reconnects forever.
 */
export function backoffDelay(
  attempt: number,
  { baseMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
