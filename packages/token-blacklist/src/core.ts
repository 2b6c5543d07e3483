import type { RedisRuntime, ToolkitEvents } from '@redis-toolkit/connection';
import type { Keys } from './keys.js';
import type { LocalStore } from './local-store.js';
import type { Mirror } from './mirror.js';
import type { Resolved } from './options.js';

/** The state every part of one blacklist shares (internal). */
export interface Core {
  readonly o: Resolved;
  readonly runtime: RedisRuntime | undefined;
  readonly keys: Keys;
  readonly store: LocalStore;
  readonly events: ToolkitEvents;
  mirror: Mirror | undefined;
  readonly counters: { replayed: number; reseeds: number; redisChecks: number; writes: number };
}
