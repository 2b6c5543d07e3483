import { ToolkitError } from '@redis-toolkit/connection';

/** Every error this package throws on purpose. `code` is stable (class and instance); `cause` keeps the original. */
export class CacheError extends ToolkitError {
  static override readonly code: string = 'E_CACHE';
  /** The full key the error is about, when there is one. */
  readonly key: string | undefined;
  constructor(message: string, options: { key?: string; field?: string; cause?: unknown } = {}) {
    super(message, {
      ...(options.field !== undefined ? { field: options.field } : {}),
      cause: options.cause,
    });
    this.key = options.key;
  }
}

/** An option (or an argument with the form of one: a key, a ttl) is wrong; `field` names it. */
export class CacheConfigError extends CacheError {
  static override readonly code = 'E_CACHE_CONFIG';
  declare readonly field: string;
  constructor(field: string, message: string) {
    super(message.startsWith(field) ? message : `${field}: ${message}`, { field });
  }
}

/** A value cannot be serialized (BigInt, circular structure, ...). Nothing was written. */
export class CacheSerializationError extends CacheError {
  static override readonly code = 'E_CACHE_SERIALIZE';
  constructor(key: string | undefined, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot serialize the value${key ? ` for "${key}"` : ''}: ${why}`, {
      ...(key !== undefined ? { key } : {}),
      cause,
    });
  }
}

/** `set(key, undefined)`: undefined means "no value"; use `del` to remove a key. */
export class CacheUndefinedValueError extends CacheError {
  static override readonly code = 'E_CACHE_UNDEFINED_VALUE';
  constructor(key: string) {
    super(`cannot cache undefined for "${key}" (use del to remove a key)`, { key });
  }
}

/** `incr` on a key that holds a cached value rather than a counter. */
export class CacheNotCounterError extends CacheError {
  static override readonly code = 'E_CACHE_NOT_COUNTER';
  constructor(key: string, cause?: unknown) {
    super(`"${key}" holds a cached value, not a counter`, { key, cause });
  }
}

/**
 * `onRedisError: 'deny'` and Redis could not serve the call (outage, timeout, failover). `cause`
 * is the runtime's outage (`since`, `reason`, redacted `message`) when one is running. With the
 * default `'memory'` policy this is never thrown.
 */
export class CacheUnavailableError extends CacheError {
  static override readonly code = 'E_CACHE_UNAVAILABLE';
  constructor(operation: string, cause?: unknown) {
    super(`redis unavailable: ${operation} refused (onRedisError: 'deny')`, { cause });
  }
}

export const errors = {
  CacheError,
  CacheConfigError,
  CacheSerializationError,
  CacheUndefinedValueError,
  CacheNotCounterError,
  CacheUnavailableError,
} as const;
