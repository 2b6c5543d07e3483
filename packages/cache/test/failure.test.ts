import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCache } from '../src/index.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  try {
    server?.resume();
  } catch {
    // not paused
  }
  await server?.stop();
});

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
};

for (const fault of ['SIGKILL (server killed)', 'SIGSTOP (server hung)'] as const) {
  it(`answers from L1 / loader within the timeout and recovers: ${fault}`, async () => {
    const redis = new Redis({
      host: server.host,
      port: server.port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    redis.on('error', () => {});
    const cache = createCache({
      redis,
      prefix: `f${Date.now()}:`,
      l1: { maxEntries: 100 },
      commandTimeoutMs: 200,
      circuitBreaker: { failureThreshold: 3, cooldown: '300ms' },
    });
    const states: string[] = [];
    cache.on('circuit', ({ state }) => states.push(state));
    await cache.set('warm', { ok: true });
    await cache.ready();
    if (fault.startsWith('SIGKILL')) await server.kill();
    else await server.pause();
    try {
      for (let i = 0; i < 10; i++) {
        const a = await timed(() => cache.get('warm'));
        expect(a.value).toEqual({ ok: true }); // from L1
        const b = await timed(() => cache.get('cold'));
        expect(b.value).toBeUndefined();
        expect(b.ms).toBeLessThan(200 * 3);
        const c = await timed(() => cache.getOrSet(`load${i}`, () => i));
        expect(c.value).toBe(i); // from the loader
        expect(c.ms).toBeLessThan(200 * 3 * 2);
        await cache.set(`s${i}`, i); // never throws
        expect(await cache.del('zzz')).toBe(0);
        expect(await cache.invalidateTags(['t'])).toBe(false);
      }
      const stats = cache.stats();
      expect(stats.errors).toBeGreaterThanOrEqual(3);
      expect(stats.fallbacks).toBeGreaterThan(stats.errors);
      expect(stats.circuit).not.toBe('closed');
      expect(states).toContain('open');
      // with the circuit open, calls answer at once
      const open = await timed(() => cache.get('cold'));
      expect(open.ms).toBeLessThan(200);
    } finally {
      if (fault.startsWith('SIGKILL')) await server.restart();
      else await server.resume();
    }
    // recovers by itself
    await waitUntil(
      async () => {
        await cache.set('after', 'back');
        return (await redis.get(`${cache.keyPrefix}after`)) !== null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'cache writes reach Redis again' },
    );
    await waitUntil(() => cache.stats().circuit === 'closed', {
      timeoutMs: 5000,
      what: 'circuit closed',
    });
    console.log(`${fault}: stats after recovery ${JSON.stringify(cache.stats())}`);
    await cache.close();
    redis.disconnect();
  }, 60_000);
}

it('memory-only cache (no redis) works', async () => {
  const cache = createCache({ l1: { maxEntries: 2, maxBytes: 10_000 }, defaultTtl: '5m' });
  await cache.set('a', 1);
  await cache.set('b', 2);
  await cache.set('c', 3); // evicts a
  expect(await cache.get('a')).toBeUndefined();
  expect(await cache.mget(['b', 'c'])).toEqual([2, 3]);
  expect(await cache.getOrSet('d', () => 4)).toBe(4);
  expect(await cache.deleteByPattern('*')).toBe(2);
  await cache.close();
});
