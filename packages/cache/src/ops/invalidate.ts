import { escapeGlob } from '@redis-toolkit/connection';
import type { Core } from '../core.js';
import { CacheConfigError } from '../errors.js';
import { TAG_TTL_MS } from '../replay/replay.js';
import { FAIL } from '../tiers/redis.js';

/**
 * Invalidates every entry carrying one of `tags`, lazily: one tag key per tag records the
 * invalidation time; reads compare it with the entry's creation time. False when Redis could not
 * record it (memory was invalidated; Redis gets it on replay).
 */
export async function invalidateTags(core: Core, tags: readonly string[]): Promise<boolean> {
  const list = [...new Set(tags)];
  if (list.length === 0) return true;
  const at = Date.now();
  core.bus.noteTags(list, at);
  core.memory.dropTags(list);
  const redis = core.redis;
  if (!redis) return true;
  const items = list.map((tag) => ({ key: core.tagKey(tag), data: String(at), px: TAG_TTL_MS }));
  const ok = (await core.usable()) ? await redis.multiSet(items, 'invalidateTags') : FAIL;
  if (ok === FAIL) {
    core.pending.add('tags', list);
    core.unavailable('invalidateTags', list.length);
    return false;
  }
  core.bus.publish({ y: 'tags', g: list, a: at });
  return true;
}

/**
 * Deletes keys under `keyPrefix` matching a Redis glob, in memory, Redis (SCAN + UNLINK on every
 * master) and every instance's memory. The prefix is escaped and fixed, so the pattern cannot
 * reach outside it; the cache's internals are never removed. Returns the Redis keys removed.
 */
export async function deleteByPattern(
  core: Core,
  keyPrefix: string,
  pattern: string,
): Promise<number> {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new CacheConfigError('pattern', 'expected a non-empty glob');
  }
  const logical = escapeGlob(keyPrefix) + pattern;
  const local = core.memory.dropPattern(logical);
  const redis = core.redis;
  if (!redis) return local;
  const { count, complete } = (await core.usable())
    ? await redis.scanDelete(logical, core.isInternal)
    : { count: 0, complete: false };
  core.telemetry.counters.deletes += count;
  if (complete) {
    core.bus.publish({ y: 'pattern', p: logical });
    return count;
  }
  core.logger.debug(
    { pattern: logical, count },
    'cache: pattern delete incomplete; queued for replay',
  );
  core.pending.add('patterns', [logical]);
  core.unavailable('deleteByPattern');
  return count;
}
