import type { ToolkitCounters } from '@redis-toolkit/connection';
import type { DecryptFailure } from '../encryption/types.js';

/** `stats()`: the shared counters (`hit`, `miss`, `stale`, `error`, `fallback`, …) plus the cache's own. */
export interface CacheStats extends ToolkitCounters {
  /** Hits served from memory / from Redis (their sum is `hit`). */
  l1Hits: number;
  l2Hits: number;
  sets: number;
  deletes: number;
  loaderCalls: number;
  /** Bus messages received from other instances. */
  busReceived: number;
  /** `__redis__:invalidate` messages received (server-assisted invalidation, see `invalidation`). */
  invalidationsReceived: number;
  /**
   * What drops memory copies that other writers changed: `'tracking'` (Redis reports every change
   * to the cache's keys, by any client), `'bus'` (toolkit writers only), `'none'` (no memory, or
   * no bus and no tracking).
   */
  invalidation: 'tracking' | 'bus' | 'none';
  /** Invalidations replayed into Redis after it came back. */
  replayed: number;
  /**
   * Values in an encrypted namespace that were not served (a miss): not a sealed value, an unknown
   * key id, or failed authentication (tampered, copied from another key, wrong key).
   */
  decryptFailures: number;
  /** Invalidations waiting for Redis (deduplicated; 1 after an overflow = clear the cache). */
  pendingInvalidations: number;
  /** True while Redis is not used for reads: it is unavailable, or invalidations await replay. */
  degraded: boolean;
  l1: { entries: number; bytes: number };
  /** The shared runtime's state; `'absent'` when memory-only. */
  redis: 'up' | 'down' | 'absent';
}

/** Detailed, cache-specific events (`cache.on(name, listener)`); the shared ones are on `cache.events`. */
export interface CacheEvents {
  hit: { key: string; tier: 'l1' | 'l2' };
  miss: { key: string };
  /** A stale value was served: after a loader `error` / soft `timeout`, or the memory copy during an `outage`. */
  stale: { key: string; reason: 'error' | 'timeout' | 'outage'; error?: unknown };
  set: { key: string };
  delete: { keys: string[] };
  /** A Redis call failed (the error is the runtime's `RedisUnavailableError`, or a reply error). */
  'redis:error': { operation: string; error: unknown };
  'bus:received': { type: string; keys: string[]; sentAt: number; delayMs: number };
  'bus:reset': { reason: string };
  /** A `__redis__:invalidate` message was applied (`keys: null`: everything); `receivedAt` in ms since epoch. */
  'invalidation:received': { keys: string[] | null; receivedAt: number };
  /** Redis stopped / started being used for reads (see `stats().degraded`). */
  degraded: { active: boolean };
  /** A value in an encrypted namespace could not be opened and was treated as a miss. */
  'decrypt:error': { key: string; reason: DecryptFailure };
  /** Pending invalidations were applied to Redis (`cleared`: the cache was cleared after an overflow). */
  replay: { tags: number; keys: number; patterns: number; cleared: boolean };
}
