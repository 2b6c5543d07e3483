import type { Cache, GetOrSetOptions } from '@redis-toolkit/cache';
import type { Response } from 'express';

/** Whether the caches are used at all (`CACHE_ENABLED=false` sends every read to the database). */
export interface CacheSwitch {
  enabled: boolean;
}

/**
 * `cache.getOrSet` plus an `X-Cache: HIT | MISS | BYPASS` header, so a client (and the tests) can
 * see whether the database was asked. A loader that throws (e.g. a 404) caches nothing.
 */
export async function cached<T>(
  res: Response,
  cache: Cache,
  toggle: CacheSwitch,
  key: string,
  loader: () => Promise<T>,
  options: GetOrSetOptions,
): Promise<T> {
  if (!toggle.enabled) {
    res.setHeader('X-Cache', 'BYPASS');
    return loader();
  }
  let ran = false;
  const value = await cache.getOrSet(
    key,
    () => {
      ran = true;
      return loader();
    },
    options,
  );
  res.setHeader('X-Cache', ran ? 'MISS' : 'HIT');
  return value;
}
