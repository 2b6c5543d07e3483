import { type Cache, createCache } from '@redis-toolkit/cache';
import type { RedisConnection } from '@redis-toolkit/connection';
import type { Logger } from 'pino';

/**
 * The cache of one domain (dental, school, care), under the `{name}:` prefix.
 *
 * Default (`l1MaxEntries = 0`): the package's `l1.mode: 'fallback'`. Reads and writes go to Redis
 * only while it answers, so a read after a write is fresh on every instance at once; while Redis
 * fails (or the circuit is open) they go to this instance's memory, which is dropped when Redis is
 * back. Invalidations Redis could not take are replayed before Redis is read again.
 *
 * With `l1MaxEntries > 0`: `l1.mode: 'tier'` (L1 + Redis + pub/sub bus): faster hits, but another
 * instance's L1 is only refreshed when the bus message arrives (usually within a millisecond, not
 * guaranteed before the next request).
 *
 * Without a Redis client (`REDIS_ENABLED=false`): memory only.
 */
export function createAppCache(
  name: string,
  redis: RedisConnection,
  logger: Logger,
  l1MaxEntries: number,
): Cache {
  return createCache({
    ...(redis.client ? { redis: redis.client } : {}),
    prefix: `${name}:`,
    defaultTtl: '5m',
    l1:
      l1MaxEntries > 0 && redis.client
        ? { maxEntries: l1MaxEntries, maxBytes: 64 * 1024 * 1024, mode: 'tier' }
        : { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, mode: 'fallback' },
    logger,
  });
}
