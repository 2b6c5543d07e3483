import type { Logger, RedisClient } from '@redis-toolkit/connection';
import type { CircuitBreakerOptions, CircuitState } from './breaker.js';
import type { Duration } from './duration.js';
import type { Serializer } from './serializer.js';

export interface L1Options {
  /** Most entries kept in process memory (LRU). Required. */
  maxEntries: number;
  /** Bound on the serialized size of all L1 entries, in bytes. Default: none. */
  maxBytes?: number;
  /** Longest time an entry stays in L1 regardless of its TTL (bounds staleness without a bus). Default: the entry's TTL. */
  ttl?: Duration;
  /**
   * How an L1 hit hands out the value. `'freeze'` (default): deserialized once, deep-frozen, the same
   * frozen object on every hit (O(1), mutation throws in strict mode). `'clone'`: deserialized from the
   * stored serialized form on every hit (a private mutable copy, cost grows with size).
   */
  copy?: 'freeze' | 'clone';
  /**
   * What L1 is for (only with a `redis` client; a memory-only cache always uses L1).
   * `'tier'` (default): L1 in front of Redis on every read, kept coherent by the pub/sub bus (a read
   * on another instance may see the old value until the bus message arrives, usually ~ms).
   * `'fallback'`: Redis only while it answers (a read after a write is fresh on every instance);
   * L1 only while Redis fails or the circuit is open; L1 is dropped when Redis is back.
   */
  mode?: 'tier' | 'fallback';
}

export interface CacheOptions {
  /** ioredis client (Redis, Sentinel-managed Redis or Cluster). Absent: memory only (then `l1` is required). */
  redis?: RedisClient;
  /** Application prefix, e.g. `'dental:'`. Keys become `{prefix}cache:{namespace:}{key}`. Default ''. */
  prefix?: string;
  /** TTL when a call gives none. Default '1h'. */
  defaultTtl?: Duration;
  /** Grace period after TTL during which getOrSet may serve the stale value. Default 0 (none). */
  defaultGrace?: Duration;
  /** In-process L1 tier. Absent: Redis only. */
  l1?: L1Options;
  /** Redis pub/sub bus keeping L1 coherent across instances. Default true when both tiers exist. */
  bus?: boolean;
  /** Value serializer. Default JSON. */
  serializer?: Serializer;
  /** pino-compatible logger. Default silent. */
  logger?: Logger;
  /** Each Redis call races this timeout; on expiry the cache falls back. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Circuit breaker on Redis failures. Default `{ failureThreshold: 5, cooldown: '2s' }`; `false` disables. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Most invalidations (tags, deleted keys, patterns, keys written while Redis failed) kept for
   * replay when Redis returns. Past it they are replaced by one "clear this cache's namespace" on
   * replay (and an error is logged). Default 1000.
   */
  maxPendingInvalidations?: number;
  /** Distributed lock defaults for `getOrSet(..., { lock: true })`. */
  lock?: {
    /** Lock expiry so a dead holder cannot block others forever. Default '10s'. */
    ttl?: Duration;
    /** Longest time a waiter waits for another process's loader before running its own. Default '15s'. */
    wait?: Duration;
  };
}

export interface SetOptions {
  ttl?: Duration;
  /** Keep the entry this long after TTL for stale-if-error (getOrSet). */
  grace?: Duration;
  tags?: readonly string[];
}

export interface GetOrSetOptions extends SetOptions {
  /** Soft timeout: with a stale value at hand, a loader slower than this serves stale and finishes in the background. */
  timeout?: Duration;
  /** Distributed lock: run the loader once across processes sharing Redis. */
  lock?: boolean;
}

export interface MsetEntry<T = unknown> extends SetOptions {
  key: string;
  value: T;
}

export interface CacheStats {
  hits: number;
  l1Hits: number;
  l2Hits: number;
  misses: number;
  /** getOrSet answers served from a stale entry (loader error or soft timeout). */
  stale: number;
  sets: number;
  deletes: number;
  loaderCalls: number;
  /** Redis calls that failed or timed out. */
  errors: number;
  timeouts: number;
  /** Operations answered without Redis (error, timeout or open circuit). */
  fallbacks: number;
  circuit: CircuitState;
  l1: { entries: number; bytes: number };
  /** Bus messages received from other instances. */
  busReceived: number;
  /** Invalidations Redis could not take when they were made, replayed after it came back. */
  replayed: number;
  /** Invalidations waiting for Redis (deduplicated; 1 after an overflow = clear the namespace). */
  pendingInvalidations: number;
  /**
   * True while Redis is not used for reads: invalidations await replay, or (fallback mode) Redis
   * failed and answers come from L1 / the loader.
   */
  degraded: boolean;
}

export interface CacheEvents {
  hit: { key: string; tier: 'l1' | 'l2' };
  miss: { key: string };
  set: { key: string };
  delete: { keys: string[] };
  stale: { key: string; reason: 'error' | 'timeout'; error?: unknown };
  'redis:error': { operation: string; error: unknown };
  circuit: { state: CircuitState };
  'bus:received': { type: string; keys: string[]; sentAt: number; delayMs: number };
  'bus:reset': { reason: string };
  /** Redis stopped / started being used for reads (see `stats().degraded`). */
  degraded: { active: boolean };
  /** Pending invalidations were applied to Redis (`cleared`: the namespace was cleared after an overflow). */
  replay: { tags: number; keys: number; patterns: number; cleared: boolean };
}
