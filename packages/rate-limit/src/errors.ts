import { ToolkitError } from '@redis-toolkit/connection';

/** An option is missing, unknown or has the wrong form; `field` names it. Thrown at creation. */
export class RateLimitConfigError extends ToolkitError {
  static override readonly code = 'E_RATELIMIT_CONFIG';
  constructor(field: string, message: string) {
    super(`rate-limit: ${message}`, { field });
  }
}

/** `consume(key, cost)` with a cost that is not a positive integer or exceeds the limit (a caller bug). */
export class RateLimitCostError extends ToolkitError {
  static override readonly code = 'E_RATELIMIT_COST';
  constructor(message: string) {
    super(`rate-limit: ${message}`, { field: 'cost' });
  }
}

/** The limit is used up. The middleware answers 429 with this code; `consume` returns `allowed: false` instead. */
export class RateLimitedError extends ToolkitError {
  static override readonly code = 'E_RATELIMIT_LIMITED';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * Redis is unavailable and the policy (`'allow'`/`'deny'`) decides: the store throws it so the
 * middleware can pass the request or answer 503; `reset` throws it when Redis did not confirm.
 */
export class RateLimitUnavailableError extends ToolkitError {
  static override readonly code = 'E_RATELIMIT_UNAVAILABLE';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** Every error class of this package, keyed by name. */
export const errors = {
  RateLimitConfigError,
  RateLimitCostError,
  RateLimitedError,
  RateLimitUnavailableError,
} as const;

export const configError = (field: string, message: string): RateLimitConfigError =>
  new RateLimitConfigError(field, message);
