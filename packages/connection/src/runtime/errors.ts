/**
 * The base of every error the toolkit throws. `code` is `E_<PKG>_<WHAT>` and is the same on the
 * class (`CacheConfigError.code`) and on the instance (`err.code`), so callers can match either;
 * `field` names the option or variable that is wrong, when one is.
 */
export class ToolkitError extends Error {
  static readonly code: string = 'E_TOOLKIT';
  readonly code: string;
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: string }).code;
    this.field = options.field;
  }
}

/** Why Redis could not serve a call. */
export type UnavailableReason =
  /** No Redis is configured: memory-only mode. */
  | 'absent'
  /** The connection is in an outage (known bad): the call was not sent. */
  | 'outage'
  /** The call did not answer within its deadline. */
  | 'timeout'
  /** The connection failed, or the server answered that it cannot serve now (LOADING, CLUSTERDOWN, READONLY...). */
  | 'error'
  /** The write succeeded on the master but no replica confirmed it in time (WAIT). */
  | 'durability';

/**
 * Redis could not serve the call. Every package catches this one error type and answers from its
 * `onRedisError` policy; anything else (a WRONGTYPE reply, a script bug) is a real error.
 */
export class RedisUnavailableError extends ToolkitError {
  static override readonly code = 'E_REDIS_UNAVAILABLE';
  readonly reason: UnavailableReason;
  /** The connection's name (`createRedis({ name })`, or `redis` for a plain client). */
  readonly redis: string;

  constructor(
    message: string,
    options: { reason: UnavailableReason; redis: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.reason = options.reason;
    this.redis = options.redis;
  }
}

export function isRedisUnavailable(error: unknown): error is RedisUnavailableError {
  return error instanceof RedisUnavailableError;
}
