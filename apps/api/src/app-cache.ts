import { type Cache, createCache, type EncryptionOptions } from '@redis-toolkit/cache';
import type { RedisConnection } from '@redis-toolkit/connection';
import type { Logger } from 'pino';

/**
 * The cache of one domain (dental, school, care); keys `{name}:cache:…`.
 *
 * Default (`l1MaxEntries = 0`): the package's `l1.mode: 'fallback'`. Reads and writes go to Redis
 * while it answers, so a read after a write is fresh on every instance at once; during an outage
 * they are answered from this instance's memory (`onRedisError: 'memory'`), and invalidations
 * Redis could not take are replayed before Redis is read again.
 *
 * With `l1MaxEntries > 0`: `l1.mode: 'tier'` (memory + Redis + pub/sub bus): faster hits, but
 * another instance's memory is only refreshed when the bus message arrives (usually within a
 * millisecond, not guaranteed before the next request).
 *
 * Without Redis (`REDIS_ENABLED=false`) no `redis` is passed: the package's memory-only mode.
 */
export function createAppCache(
  name: string,
  redis: RedisConnection,
  logger: Logger,
  l1MaxEntries: number,
  /** Seal every value in Redis (AES-256-GCM, the cache package's `encryption`). */
  encryption?: EncryptionOptions,
): Cache {
  const tier = l1MaxEntries > 0 && redis.client !== undefined;
  return createCache({
    ...(redis.client ? { redis } : {}),
    prefix: `${name}:`,
    defaultTtl: '5m',
    onRedisError: 'memory',
    maxMemoryEntries: tier ? l1MaxEntries : 10_000,
    maxMemoryBytes: (tier ? 64 : 32) * 1024 * 1024,
    l1: { mode: tier ? 'tier' : 'fallback' },
    ...(encryption ? { encryption } : {}),
    logger,
  });
}
