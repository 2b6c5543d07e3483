import type { Logger, RedisRuntime, ToolkitEvents } from '@redis-toolkit/connection';
import type { ResolvedOptions } from '../options.js';
import type { MemorySessions } from '../outage/memory.js';
import type { Keys } from './keys.js';
import type { MarkMemo } from './mark-memo.js';

/** Session-specific counters, next to the shared ones of `ToolkitEvents`. */
export interface StoreCounters {
  saves: number;
  touches: number;
  /** Touches that sent nothing: the expiry was slid less than `activityResolution` ago. */
  touchesSkipped: number;
  blockedWrites: number;
  corrupt: number;
  indexRefreshes: number;
}

/** What the store's parts (index, listing, replay, policy) share. */
export interface StoreContext {
  readonly runtime: RedisRuntime | undefined;
  readonly keys: Keys;
  readonly opts: ResolvedOptions;
  readonly events: ToolkitEvents;
  /** Present in memory-only mode and under `onRedisError: 'memory'`. */
  readonly memory: MemorySessions | undefined;
  readonly logger: Logger;
  readonly counters: StoreCounters;
  /** The index marks this instance set: their sessions load with a plain `GET`. */
  readonly marks: MarkMemo;
}
