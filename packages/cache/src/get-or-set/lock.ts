import { randomBytes } from 'node:crypto';
import { defineScript } from '@redis-toolkit/connection';
import type { Core } from '../core.js';
import { l2Get } from '../core-read.js';
import type { GetOrSetOptions, WithMeta } from '../options/types.js';
import type { Found } from '../tiers/memory.js';
import { FAIL } from '../tiers/redis.js';
import { type Loader, load } from './load.js';

/** Deletes the lock only while it holds our token (a late holder never frees someone else's lock). */
const RELEASE_LOCK = defineScript({
  name: 'cache unlock',
  numberOfKeys: 1,
  source: `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`,
});

async function freshInRedis<T>(core: Core, full: string): Promise<WithMeta<T> | undefined> {
  const found = await l2Get(core, full);
  if (found && found !== FAIL && found.e > Date.now())
    return { value: found.value as T, source: 'redis' };
  return undefined;
}

/**
 * Distributed single flight: SET NX PX a lock with a random token; the holder loads, stores,
 * releases (compare-and-delete) and announces on the bus; the others wait for that message (or
 * the lock's expiry) instead of polling, then read the value. Without Redis: the plain loader.
 */
export async function fillLocked<T>(
  core: Core,
  full: string,
  loader: Loader<T>,
  options: GetOrSetOptions,
  stale: Found | undefined,
): Promise<WithMeta<T>> {
  const redis = core.redis;
  if (!redis || !(await core.bus.ensureSubscriber()))
    return load(core, full, loader, options, stale);
  const lockKey = core.lockKey(full);
  const token = randomBytes(12).toString('base64url');
  const { lockTtlMs, lockWaitMs } = core.config;
  const deadline = Date.now() + lockWaitMs;
  while (Date.now() < deadline) {
    const got = await redis.run('lock', (c) => c.set(lockKey, token, 'PX', lockTtlMs, 'NX'));
    if (got === FAIL) break;
    if (got === 'OK') {
      try {
        return (
          (await freshInRedis<T>(core, full)) ?? (await load(core, full, loader, options, stale))
        );
      } finally {
        void redis.script(RELEASE_LOCK, [lockKey], [token]);
        core.bus.publish({ y: 'unlock', k: [full] }, true);
      }
    }
    // someone else holds it: register for its announcement first, then check once
    const pttl = await redis.run('pttl', (c) => c.pttl(lockKey));
    const wait = Math.min(pttl === FAIL || pttl < 0 ? 50 : pttl + 5, deadline - Date.now());
    const woken = core.bus.waiters.wait(full, wait);
    const now = await freshInRedis<T>(core, full);
    if (now) return now;
    await woken;
    const after = await freshInRedis<T>(core, full);
    if (after) return after;
  }
  return load(core, full, loader, options, stale);
}
