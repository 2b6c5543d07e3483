import { defineScript } from '@redis-toolkit/connection';
import type { Core } from '../core.js';
import { CacheConfigError, CacheNotCounterError } from '../errors.js';
import { ms } from '../options/resolve.js';
import type { IncrOptions } from '../options/types.js';
import { FAIL } from '../tiers/redis.js';

/** INCRBY, and the TTL when the counter is new (or lost its TTL): one atomic step. */
const INCR = defineScript({
  name: 'cache incr',
  numberOfKeys: 1,
  source: `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`,
});

/**
 * Adds `by` to a counter and returns the new value. In Redis: atomic across instances, the TTL
 * set when the counter is created. Memory-only, or while Redis is unavailable (`'memory'`
 * policy): counted in this instance's memory, from the last value it saw.
 */
export async function incr(
  core: Core,
  full: string,
  by: number,
  options: IncrOptions | undefined,
): Promise<number> {
  if (!Number.isSafeInteger(by)) throw new CacheConfigError('by', 'expected a safe integer');
  const ttl = ms(options?.ttl, 'ttl', core.config.defaultTtlMs);
  if (ttl <= 0) throw new CacheConfigError('ttl', 'expected a positive duration');
  const redis = core.redis;
  if (redis) {
    let value: unknown = FAIL;
    if (await core.usable()) {
      try {
        value = await redis.script(INCR, [full], [by, ttl], true);
      } catch (error) {
        throw new CacheNotCounterError(full, error);
      }
    }
    if (value !== FAIL) {
      const n = Number(value);
      if (core.tiered) core.memory.delete(full);
      else if (core.fallback) {
        const now = Date.now();
        const kept = core.memory.get(full);
        const end = kept && kept.e > now ? kept.e : now + ttl;
        core.memory.setEnvelope(full, { v: n, e: end, g: end, c: now }, true);
      }
      core.bus.publish({ y: 'set', k: [full] });
      return n;
    }
    core.unavailable('incr');
  }
  return incrInMemory(core, full, by, ttl);
}

function incrInMemory(core: Core, full: string, by: number, ttl: number): number {
  const now = Date.now();
  const entry = core.memory.get(full);
  const current = entry && entry.e > now ? core.memory.value(entry) : undefined;
  if (current !== undefined && typeof current !== 'number') throw new CacheNotCounterError(full);
  const value = (current ?? 0) + by;
  const end = entry && current !== undefined ? entry.e : now + ttl;
  core.memory.setEnvelope(full, { v: value, e: end, g: end, c: now }, false);
  return value;
}
