import type { Cache, CacheSource, GetOrSetOptions } from '@redis-toolkit/cache';
import type { Response } from 'express';

/** What `X-Cache` says about a read: was the database asked? */
const HEADER: Record<CacheSource, 'HIT' | 'MISS' | 'STALE'> = {
  l1: 'HIT',
  redis: 'HIT',
  loader: 'MISS',
  stale: 'STALE',
};

/**
 * `cache.getOrSetWithMeta` plus an `X-Cache: HIT | MISS | STALE | BYPASS` header from the source
 * the cache reports, so a client (and the tests) can see whether the database was asked. No cache
 * (`CACHE_ENABLED=false`): the loader, `BYPASS`. A loader that throws (e.g. a 404) caches nothing.
 */
export async function cached<T>(
  res: Response,
  cache: Cache | undefined,
  key: string,
  loader: () => Promise<T>,
  options: GetOrSetOptions,
): Promise<T> {
  if (!cache) {
    res.setHeader('X-Cache', 'BYPASS');
    return loader();
  }
  const { value, source } = await cache.getOrSetWithMeta(key, loader, options);
  res.setHeader('X-Cache', HEADER[source]);
  return value;
}

/** Invalidates tags when there is a cache; resolves once the cache recorded it (or queued it for replay). */
export async function invalidate(cache: Cache | undefined, tags: readonly string[]): Promise<void> {
  if (cache) await cache.invalidateTags(tags);
}
