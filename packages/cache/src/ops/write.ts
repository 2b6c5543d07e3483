import type { Core } from '../core.js';
import { FAIL } from '../tiers/redis.js';
import type { Prepared } from './envelope.js';

/**
 * Stores a prepared entry. `explicit`: the caller replaced the value (set/mset/expire), so when
 * Redis cannot take it, Redis's copy is outdated and is deleted on replay; a loader's fill
 * replaces nothing. Returns false when Redis did not take it (memory only).
 */
export async function write(
  core: Core,
  full: string,
  item: Prepared,
  explicit: boolean,
  operation: string,
): Promise<boolean> {
  const { env, data, stored, px } = item;
  if (core.tiered) core.memory.setData(full, env, data, false);
  core.telemetry.counters.sets++;
  core.telemetry.detail('set', { key: full });
  const redis = core.redis;
  if (!redis) return true;
  const ok = (await core.usable())
    ? await redis.write(operation, full, (c) => c.set(full, stored, 'PX', px))
    : FAIL;
  if (ok !== FAIL) {
    // fallback mode: keep a copy of what Redis now holds, served (as stale) if Redis goes away
    if (core.fallback) core.memory.setData(full, env, data, true);
    core.bus.publish({ y: 'set', k: [full] });
    return true;
  }
  if (explicit) core.pending.add('keys', [full]);
  if (core.fallback) core.memory.setData(full, env, data, false);
  if (explicit) core.unavailable(operation);
  else if (core.config.policy === 'memory') core.telemetry.emit('fallback', operation);
  core.syncDegraded();
  return false;
}

/** Stores many entries in one round trip. */
export async function writeMany(
  core: Core,
  items: { full: string; prepared: Prepared }[],
): Promise<boolean> {
  if (items.length === 0) return true;
  if (core.tiered) {
    for (const { full, prepared: p } of items) core.memory.setData(full, p.env, p.data, false);
  }
  core.telemetry.counters.sets += items.length;
  const redis = core.redis;
  if (!redis) return true;
  const ok = (await core.usable())
    ? await redis.multiSet(
        items.map((i) => ({ key: i.full, data: i.prepared.stored, px: i.prepared.px })),
      )
    : FAIL;
  const fulls = items.map((i) => i.full);
  if (ok !== FAIL) {
    if (core.fallback) {
      for (const { full, prepared: p } of items) core.memory.setData(full, p.env, p.data, true);
    }
    core.bus.publish({ y: 'set', k: fulls });
    return true;
  }
  core.pending.add('keys', fulls);
  if (core.fallback) {
    for (const { full, prepared: p } of items) core.memory.setData(full, p.env, p.data, false);
  }
  core.unavailable('mset', items.length);
  return false;
}

/** Removes keys from memory, Redis and (bus) every instance's memory. Returns how many Redis removed. */
export async function del(core: Core, fulls: string[]): Promise<number> {
  if (fulls.length === 0) return 0;
  let local = 0;
  for (const k of fulls) if (core.memory.delete(k)) local++;
  core.telemetry.counters.deletes += fulls.length;
  core.telemetry.detail('delete', { keys: fulls });
  const redis = core.redis;
  if (!redis) return local;
  const removed = (await core.usable()) ? await redis.unlink(fulls) : FAIL;
  if (removed === FAIL) {
    core.pending.add('keys', fulls);
    core.unavailable('del', fulls.length);
    return local;
  }
  core.bus.publish({ y: 'del', k: fulls });
  return removed;
}
