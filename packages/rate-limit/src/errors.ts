/** Stable codes for every error this package throws. */
export type RateLimitErrorCode =
  | 'ERR_RL_INVALID_OPTION'
  | 'ERR_RL_INVALID_DURATION'
  | 'ERR_RL_INVALID_COST'
  | 'ERR_RL_REDIS_UNAVAILABLE';

/** Base class: every error from this package carries a `code`. */
export class RateLimitError extends Error {
  readonly code: RateLimitErrorCode;
  constructor(code: RateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option is missing or has the wrong form; the message names the field and what it expects. */
export class RateLimitConfigError extends RateLimitError {
  static readonly code = 'ERR_RL_INVALID_OPTION';
  readonly field: string;
  constructor(field: string, expected: string, got: unknown) {
    super(
      'ERR_RL_INVALID_OPTION',
      `rate-limit: option \`${field}\` must be ${expected} (got ${describe(got)})`,
    );
    this.field = field;
  }
}

/** `consume(key, cost)` was called with a cost that is not a positive integer or exceeds the limit. */
export class RateLimitCostError extends RateLimitError {
  static readonly code = 'ERR_RL_INVALID_COST';
  constructor(message: string) {
    super('ERR_RL_INVALID_COST', message);
  }
}

/**
 * Redis could not answer within `commandTimeoutMs` (or the circuit is open) and the policy is
 * `'allow'` or `'deny'`. The HTTP middleware turns it into `next()` or a 503/429; it never reaches
 * the application unless the policy says so.
 */
export class RedisUnavailableError extends RateLimitError {
  static readonly code = 'ERR_RL_REDIS_UNAVAILABLE';
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, cause?: unknown) {
    super('ERR_RL_REDIS_UNAVAILABLE', 'rate-limit: Redis is unavailable', { cause });
    this.retryAfterMs = retryAfterMs;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value === 'function') return 'a function';
  return typeof value;
}

/** Every error class, keyed by name. */
export const errors = {
  RateLimitError,
  RateLimitConfigError,
  RateLimitCostError,
  RedisUnavailableError,
} as const;
