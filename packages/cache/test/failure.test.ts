import { waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createCache } from '../src/index.js';
import { redisServerForFile } from './helpers.js';

const server = redisServerForFile();

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
};

for (const fault of ['SIGKILL (server killed)', 'SIGSTOP (server hung)'] as const) {
  it(`answers from L1 / loader within the timeout and recovers: ${fault}`, async () => {
    const redis = new Redis({
      host: server().host,
      port: server().port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    redis.on('error', () => {});
    const cache = createCache({
      redis,
      prefix: `f${Date.now()}:`,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
      commandTimeout: '200ms',
    });
    await cache.set('warm', { ok: true });
    await cache.ready();
    if (fault.startsWith('SIGKILL')) await server().kill();
    else await server().pause();
    try {
      // the first call that needs Redis costs at most one command timeout (plus slack)…
      const first = await timed(() => cache.get('cold'));
      expect(first.value).toBeUndefined();
      expect(first.ms).toBeLessThan(200 * 3);
      // …and from then on every call answers from the policy without touching Redis
      for (let i = 0; i < 10; i++) {
        const a = await timed(() => cache.get('warm'));
        expect(a.value).toEqual({ ok: true }); // from L1
        const b = await timed(() => cache.get('cold'));
        expect(b.value).toBeUndefined();
        expect(b.ms).toBeLessThan(50);
        const c = await timed(() => cache.getOrSet(`load${i}`, () => i));
        expect(c.value).toBe(i); // from the loader
        expect(c.ms).toBeLessThan(50);
        const d = await timed(async () => {
          await cache.set(`s${i}`, i); // never throws
          expect(await cache.del('zzz')).toBe(0);
          expect(await cache.invalidateTags(['t'])).toBe(false);
        });
        expect(d.ms).toBeLessThan(50);
      }
      const stats = cache.stats();
      expect(stats.redis).toBe('down');
      expect(stats.degraded).toBe(true);
      // get cold + getOrSet + set + del + invalidateTags per round, all answered from memory
      expect(stats.fallback).toBeGreaterThanOrEqual(10 * 5);
    } finally {
      if (fault.startsWith('SIGKILL')) await server().restart();
      else await server().resume();
    }
    // recovers by itself
    await waitUntil(
      async () => {
        await cache.set('after', 'back');
        return (await redis.get(`${cache.keyPrefix}after`)) !== null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'cache writes reach Redis again' },
    );
    await waitUntil(() => cache.stats().redis === 'up' && !cache.stats().degraded, {
      timeoutMs: 5000,
      what: 'runtime up and invalidations replayed',
    });
    console.log(`${fault}: stats after recovery ${JSON.stringify(cache.stats())}`);
    await cache.close();
    redis.disconnect();
  }, 60_000);
}

it('memory-only cache (no redis) works', async () => {
  const cache = createCache({
    maxMemoryEntries: 2,
    maxMemoryBytes: 10_000,
    l1: { mode: 'tier' },
    defaultTtl: '5m',
  });
  await cache.set('a', 1);
  await cache.set('b', 2);
  await cache.set('c', 3); // evicts a
  expect(await cache.get('a')).toBeUndefined();
  expect(await cache.mget(['b', 'c'])).toEqual([2, 3]);
  expect(await cache.getOrSet('d', () => 4)).toBe(4);
  expect(await cache.deleteByPattern('*')).toBe(2);
  await cache.close();
});
