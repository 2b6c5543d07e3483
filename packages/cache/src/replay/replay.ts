import type { Bus } from '../bus/bus.js';
import type { Telemetry } from '../stats/stats.js';
import { FAIL, type RedisTier } from '../tiers/redis.js';
import type { Pending } from './pending.js';

const REPLAY_BATCH = 1000;

/** Tag invalidation keys outlive any entry (400 days). */
export const TAG_TTL_MS = 400 * 86_400_000;

export interface ReplayDeps {
  redis: RedisTier;
  pending: Pending;
  bus: Bus;
  telemetry: Telemetry;
  tagKey(tag: string): string;
  isInternal(key: string): boolean;
  log(summary: Record<string, unknown>): void;
}

/**
 * Applies the pending invalidations to Redis, each kind then published on the bus. Tags get the
 * replay time (not the original), so entries written meanwhile by other instances count as
 * invalidated too: over-invalidation costs misses, never wrong data. True when nothing is left.
 */
export async function replayPending(deps: ReplayDeps): Promise<boolean> {
  const { redis, pending: p, bus } = deps;
  const tags = [...p.tags];
  const keys = [...p.keys];
  const patterns = [...p.patterns];
  const total = tags.length + keys.length + patterns.length;
  if (total === 0) return true;
  if (tags.length > 0) {
    const at = Date.now();
    const items = tags.map((tag) => ({ key: deps.tagKey(tag), data: String(at), px: TAG_TTL_MS }));
    if ((await redis.multiSet(items, 'replay tags')) === FAIL) return false;
    for (const tag of tags) p.tags.delete(tag);
    bus.noteTags(tags, at);
    bus.publish({ y: 'tags', g: tags, a: at });
  }
  // In batches: one UNLINK (and one bus message) with 100k arguments overflows the stack.
  for (let i = 0; i < keys.length; i += REPLAY_BATCH) {
    const batch = keys.slice(i, i + REPLAY_BATCH);
    if ((await redis.unlink(batch)) === FAIL) return false;
    for (const key of batch) p.keys.delete(key);
    bus.publish({ y: 'del', k: batch });
  }
  for (const pattern of patterns) {
    if (!(await redis.scanDelete(pattern, deps.isInternal)).complete) return false;
    p.patterns.delete(pattern);
    bus.publish({ y: 'pattern', p: pattern });
  }
  deps.telemetry.counters.replayed += total;
  const cleared = patterns.includes(p.everything);
  const summary = { tags: tags.length, keys: keys.length, patterns: patterns.length, cleared };
  deps.log(summary);
  deps.telemetry.detail('replay', summary);
  return p.size === 0;
}
