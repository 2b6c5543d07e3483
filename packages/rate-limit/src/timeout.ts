/** Thrown when Redis did not answer within `commandTimeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`rate-limit: Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * Settles with `promise`, or rejects with `RedisTimeoutError` after `ms`. The losing command keeps
 * running in ioredis, but its outcome is observed, so it never becomes an unhandled rejection.
 * One promise and one timer per call (cheaper than Promise.race + finally on the hot path).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
