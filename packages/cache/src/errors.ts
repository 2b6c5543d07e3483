/** Every error this package throws on purpose. Each has a stable `code`; `cause` keeps the original. */
export class CacheError extends Error {
  readonly code: string;
  readonly key: string | undefined;
  constructor(code: string, message: string, options: { key?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = options.key;
  }
}

/** An option has the wrong form; `field` names it. */
export class CacheConfigError extends CacheError {
  static readonly code = 'E_CACHE_CONFIG';
  readonly field: string;
  constructor(field: string, message: string) {
    super(CacheConfigError.code, `${field}: ${message}`);
    this.field = field;
  }
}

/** A value cannot be serialized (BigInt, circular structure, ...). Nothing was written. */
export class CacheSerializationError extends CacheError {
  static readonly code = 'E_CACHE_SERIALIZE';
  constructor(key: string | undefined, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      CacheSerializationError.code,
      `cannot serialize the value${key ? ` for "${key}"` : ''}: ${why}`,
      {
        key,
        cause,
      },
    );
  }
}

/** `set(key, undefined)`: undefined means "no value"; use `del` to remove a key. */
export class CacheUndefinedValueError extends CacheError {
  static readonly code = 'E_CACHE_UNDEFINED_VALUE';
  constructor(key: string) {
    super(
      CacheUndefinedValueError.code,
      `cannot cache undefined for "${key}" (use del to remove a key)`,
      { key },
    );
  }
}

/** A Redis call did not answer within `commandTimeoutMs` (internal: the cache falls back, never throws it). */
export class CacheTimeoutError extends CacheError {
  static readonly code = 'E_CACHE_REDIS_TIMEOUT';
  constructor(operation: string, ms: number) {
    super(CacheTimeoutError.code, `redis ${operation} did not answer within ${ms} ms`);
  }
}

/** The circuit breaker is open (internal: the cache falls back, never throws it). */
export class CacheCircuitOpenError extends CacheError {
  static readonly code = 'E_CACHE_CIRCUIT_OPEN';
  constructor() {
    super(CacheCircuitOpenError.code, 'redis circuit breaker is open');
  }
}

/** A duration option has the wrong form. */
export class CacheDurationError extends CacheConfigError {}

export const errors = {
  CacheError,
  CacheConfigError,
  CacheSerializationError,
  CacheUndefinedValueError,
  CacheTimeoutError,
  CacheCircuitOpenError,
  CacheDurationError,
} as const;
