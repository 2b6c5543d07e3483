/** Thrown when a test topology cannot be started; the message is one actionable line. */
export class RedisTestServerError extends Error {
  override name = 'RedisTestServerError';
}

export const MISSING_REDIS_SERVER =
  'redis-server is not on PATH: install it (Debian/Ubuntu: `apt-get install -y redis-server`, macOS: `brew install redis`) and rerun the tests.';

/** Error codes of the test kit, stable so a test can match on `code` rather than on wording. */
export type TestKitErrorCode =
  | 'E_WAIT_TIMEOUT'
  | 'E_INSTANCE_NOT_READY'
  | 'E_INSTANCE_START'
  | 'E_INSTANCE_CLOSE'
  | 'E_BAD_JSON';

/** Thrown by the HTTP/process helpers of the test kit; `cause` keeps the underlying error. */
export class TestKitError extends Error {
  override name = 'TestKitError';
  constructor(
    readonly code: TestKitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown by `waitUntil` on timeout. Extends RedisTestServerError so existing `instanceof`
 * checks keep working; carries what the check last did, because "timed out" alone hides why.
 */
export class WaitTimeoutError extends RedisTestServerError {
  override name = 'WaitTimeoutError';
  readonly code = 'E_WAIT_TIMEOUT';
  constructor(
    message: string,
    /** The last error the check threw, if its last attempt threw. */
    readonly lastError: unknown,
    /** The last value the check returned, if its last attempt returned. */
    readonly lastValue: unknown,
    readonly attempts: number,
  ) {
    super(message, lastError === undefined ? undefined : { cause: lastError });
  }
}
