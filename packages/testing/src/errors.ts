/** Thrown when a test topology cannot be started; the message is one actionable line. */
export class RedisTestServerError extends Error {
  override name = 'RedisTestServerError';
}

export const MISSING_REDIS_SERVER =
  'redis-server is not on PATH: install it (Debian/Ubuntu: `apt-get install -y redis-server`, macOS: `brew install redis`) and rerun the tests.';
