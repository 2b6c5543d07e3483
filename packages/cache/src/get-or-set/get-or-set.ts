import type { Core } from '../core.js';
import { fromMemory, l2Read } from '../ops/read.js';
import type { GetOrSetOptions, WithMeta } from '../options/types.js';
import type { Found } from '../tiers/memory.js';
import { FAIL } from '../tiers/redis.js';
import { type Loader, load } from './load.js';
import { fillLocked } from './lock.js';

/**
 * The cached value, or the loader's (stored, then returned), with where it came from.
 * Concurrent calls for one key in this process share one loader run.
 */
export function getOrSet<T>(
  core: Core,
  full: string,
  loader: Loader<T>,
  options: GetOrSetOptions | undefined,
): Promise<WithMeta<T>> {
  const entry = core.tiered ? core.memory.get(full) : undefined;
  if (entry && entry.e > Date.now()) {
    core.telemetry.hit('getOrSet', full, 'l1');
    return Promise.resolve({ value: core.memory.value(entry) as T, source: 'l1' });
  }
  const running = core.flights.get(full);
  if (running) return running as Promise<WithMeta<T>>;
  const flight = fill(core, full, loader, options).finally(() => core.flights.delete(full));
  core.flights.set(full, flight);
  return flight;
}

async function fill<T>(
  core: Core,
  full: string,
  loader: Loader<T>,
  options: GetOrSetOptions | undefined,
): Promise<WithMeta<T>> {
  const t = core.telemetry;
  const entry = core.tiered ? core.memory.get(full) : undefined;
  let stale: Found | undefined = entry ? core.memory.found(entry) : undefined;
  let redisUp = false;
  if (core.redis) {
    const l2 = await l2Read(core, full, options?.tags);
    if (l2 !== FAIL) {
      redisUp = true;
      if (l2 && l2.e > Date.now()) {
        t.hit('getOrSet', full, 'l2');
        return { value: l2.value as T, source: 'redis' };
      }
      stale = l2 ?? stale;
    } else {
      core.unavailable('getOrSet');
      const outage = fromMemory(core, full, 'getOrSet');
      if (outage.source && outage.found) {
        return { value: outage.found.value as T, source: outage.source };
      }
      stale = outage.found ?? stale;
    }
  }
  t.miss('getOrSet', full);
  if (options?.lock && redisUp) return fillLocked(core, full, loader, options, stale);
  return load(core, full, loader, options, stale);
}
