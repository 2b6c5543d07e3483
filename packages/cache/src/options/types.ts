import type { DurabilityOptions, Duration, SharedOptions } from '@redis-toolkit/connection';
import type { EncryptionOptions } from '../encryption/types.js';
import type { Serializer } from '../serializer.js';

export type { Duration };

/** What the cache does while Redis is unavailable. */
export type CachePolicy = 'memory' | 'deny';

export interface L1Options {
  /**
   * What the in-process memory tier is for (only with a `redis` client; a memory-only cache always
   * reads its memory). `'fallback'` (default): every read and write goes to Redis while it answers
   * (read-after-write holds across instances); memory keeps a bounded copy of what was recently
   * read or written and answers only while Redis is unavailable (copies from Redis marked
   * `stale`). `'tier'`: memory in front of Redis on every read, kept coherent by the pub/sub bus.
   */
  mode?: 'tier' | 'fallback';
  /** Longest time an entry stays in memory regardless of its TTL. Default: the entry's TTL. */
  ttl?: Duration;
  /**
   * How a memory hit hands out the value. `'freeze'` (default): deserialized once, deep-frozen,
   * the same object on every hit. `'clone'`: deserialized on every hit (a private mutable copy).
   */
  copy?: 'freeze' | 'clone';
  /**
   * How other writers' changes leave memory. `'auto'` (default): server-assisted (`CLIENT TRACKING`
   * BCAST on the cache's prefix, redirected to a subscriber on `__redis__:invalidate`) where the
   * server allows it, else the pub/sub bus. `'tracking'`: tracking only; when the server refuses it
   * an error is logged and memory is not served while Redis answers. `'bus'`: the bus only (toolkit
   * writers). See the README, _L1 coherence_.
   */
  invalidation?: L1Invalidation;
}

/** See `L1Options.invalidation`. */
export type L1Invalidation = 'auto' | 'tracking' | 'bus';

export interface CacheOptions extends SharedOptions<CachePolicy> {
  /**
   * Most entries kept in memory (LRU): the memory tier, the outage copy in `'fallback'` mode, or
   * the whole store when memory-only. `0`: no memory at all (Redis only). Default 10 000.
   */
  maxMemoryEntries?: number;
  /** Also bound memory by the serialized size of its entries, in bytes. Default: no byte bound. */
  maxMemoryBytes?: number;
  /** TTL when a call gives none. Default '1h'. */
  defaultTtl?: Duration;
  /** Grace period after TTL during which getOrSet may serve the stale value. Default 0 (none). */
  defaultGrace?: Duration;
  /** The memory tier: its mode, entry TTL and copy rule. */
  l1?: L1Options;
  /** Redis pub/sub bus keeping memory coherent across instances. Default true (with Redis and memory). */
  bus?: boolean;
  /** Value serializer. Default JSON. */
  serializer?: Serializer;
  /**
   * Most invalidations kept for replay when Redis returns; past it they become one "clear this
   * cache" (an error is logged). Default 1000.
   */
  maxPendingInvalidations?: number;
  /**
   * Writes that replace or remove data (`set`, `mset`, `expire`, `del`, `invalidateTags`, the
   * replay) count as done only when a replica has them (`WAIT`), so a Sentinel failover cannot
   * erase a write that answered `true`; a short ack answers like an outage (`false` / memory).
   * Default `{ replicas: 0 }`: off (one round trip less per write; a lost cache write costs a
   * miss, a lost invalidation serves the old value until its TTL). `{ replicas: 'auto' }`: 1
   * where the master has replicas.
   */
  durability?: DurabilityOptions;
  /**
   * Seal every value this cache stores in Redis with AES-256-GCM (`keys[0]` writes, any listed key
   * reads). Per namespace instead: `cache.namespace('patients', { encryption })`. Memory holds
   * decoded values; nothing readable reaches Redis.
   */
  encryption?: EncryptionOptions;
  /** Distributed lock for `getOrSet(..., { lock: true })`. */
  lock?: {
    /** Lock expiry, so a dead holder cannot block others forever. Default '10s'. */
    ttl?: Duration;
    /** Longest wait for another process's loader before running one's own. Default '15s'. */
    wait?: Duration;
  };
}

export interface SetOptions {
  ttl?: Duration;
  /** Keep the entry this long after TTL for stale-if-error (getOrSet). */
  grace?: Duration;
  tags?: readonly string[];
}

export interface GetOptions {
  /**
   * Tags the entry is expected to carry: their invalidation times are read in the same round trip
   * as the entry (the response cache passes its `tags`). Only a hint: an entry carrying other tags
   * is still checked against them (one more round trip), and the answer is the same either way.
   */
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

export interface IncrOptions {
  /** Lifetime of the counter, set when the counter is created (a fixed window). Default: `defaultTtl`. */
  ttl?: Duration;
}

/**
 * Where an answer came from: `'l1'` memory (a tier hit, or this instance's own write during an
 * outage), `'redis'`, `'loader'` (getOrSet ran it), `'stale'` (an expired value within its grace
 * after a loader error or soft timeout, or — during an outage — the memory copy of a value last
 * read from Redis, which other instances may have changed since).
 */
export type CacheSource = 'l1' | 'redis' | 'loader' | 'stale';

export interface WithMeta<T> {
  value: T;
  source: CacheSource;
}
