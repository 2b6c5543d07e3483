import { listen, waitUntil } from '@redis-toolkit/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cacheResponse } from '../src/express/index.js';
import {
  type Cache,
  type CacheOptions,
  CacheUnavailableError,
  createCache,
  type ToolkitEvent,
} from '../src/index.js';
import { redisServerForFile, uniquePrefix } from './helpers.js';

const server = redisServerForFile();

const TIMEOUT_MS = 250;

function client(): Redis {
  const redis = new Redis({ host: server().host, port: server().port });
  redis.on('error', () => {});
  onTestFinished(() => redis.disconnect());
  return redis;
}

function make(redis: Redis | undefined, prefix: string, extra: CacheOptions = {}): Cache {
  const cache = createCache({
    ...(redis ? { redis } : {}),
    prefix,
    defaultTtl: '1m',
    commandTimeout: `${TIMEOUT_MS}ms`,
    ...extra,
  });
  onTestFinished(() => cache.close());
  return cache;
}

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
};

/** Pauses the server for the duration of `fn`, then waits until `caches` use Redis again. */
async function whilePaused(caches: Cache[], fn: () => Promise<void>): Promise<void> {
  server().pause();
  try {
    await fn();
  } finally {
    server().resume();
  }
  await waitUntil(() => caches.every((c) => c.stats().redis === 'up' && !c.stats().degraded), {
    timeoutMs: 15_000,
    what: 'caches back on Redis',
  });
}

describe('outage start without a stampede (fallback mode)', () => {
  it('serves the memory copy of what Redis served, marked stale; never a deleted or tag-invalidated entry', async () => {
    const prefix = uniquePrefix('r');
    const writer = make(client(), prefix, { maxMemoryEntries: 0 });
    const a = make(client(), prefix); // default: l1.mode 'fallback', maxMemoryEntries 10 000
    for (let i = 0; i < 20; i++) await writer.set(`p${i}`, { i }, { tags: [`t${i % 2}`] });
    // A reads every value from Redis once (that is what its copy holds)
    let loads = 0;
    const loader = (): string => {
      loads++;
      return 'loaded';
    };
    for (let i = 0; i < 20; i++) {
      expect(await a.getOrSetWithMeta(`p${i}`, loader)).toEqual({ value: { i }, source: 'redis' });
    }
    expect(loads).toBe(0);
    await whilePaused([a], async () => {
      // the first call pays one command timeout, then answers from the copy
      const first = await timed(() => a.getOrSetWithMeta('p0', loader));
      expect(first.value).toEqual({ value: { i: 0 }, source: 'stale' });
      expect(first.ms).toBeLessThan(TIMEOUT_MS * 4);
      await a.del('p1');
      expect(await a.invalidateTags(['t0'])).toBe(false);
      for (let i = 1; i < 20; i++) {
        const r = await timed(() => a.getOrSetWithMeta(`p${i}`, loader));
        expect(r.ms).toBeLessThan(50);
        if (i === 1 || i % 2 === 0) {
          // deleted / tag-invalidated here: never served, the loader runs
          expect(r.value).toEqual({ value: 'loaded', source: 'loader' });
        } else expect(r.value).toEqual({ value: { i }, source: 'stale' });
      }
      expect(await a.getWithMeta('p3')).toEqual({ value: { i: 3 }, source: 'stale' });
      expect(loads).toBe(10); // p1 + the nine even keys p2..p18, not a stampede over all 20
      const stats = a.stats();
      expect(stats.stale).toBeGreaterThanOrEqual(10);
      expect(stats.redis).toBe('down');
    });
    // back on Redis: the invalidations were replayed, the copies dropped
    expect(await writer.get('p1')).toBeUndefined();
    expect(await writer.get('p2')).toBeUndefined();
    expect(await a.getWithMeta('p3')).toEqual({ value: { i: 3 }, source: 'redis' });
  }, 60_000);

  it('the express response cache answers X-Cache: STALE from the copy during an outage', async () => {
    const prefix = uniquePrefix('r');
    const cache = make(client(), prefix);
    let handled = 0;
    const app = express();
    app.get('/items', cacheResponse({ cache, ttl: 60 }), (_req, res) => {
      handled++;
      res.json({ items: [1, 2, 3] });
    });
    const { url, close } = await listen(app);
    onTestFinished(close);
    expect((await fetch(`${url}/items`)).headers.get('x-cache')).toBe('MISS');
    await waitUntil(async () => (await fetch(`${url}/items`)).headers.get('x-cache') === 'HIT', {
      timeoutMs: 5000,
      what: 'response stored in Redis',
    });
    const before = handled;
    await whilePaused([cache], async () => {
      const res = await fetch(`${url}/items`);
      expect(res.headers.get('x-cache')).toBe('STALE');
      expect(await res.json()).toEqual({ items: [1, 2, 3] });
      expect(handled).toBe(before);
    });
  }, 60_000);
});

describe('one runtime per client', () => {
  it('two caches on one client share the outage: one timeout in total', async () => {
    const redis = client();
    // no bus: a batched PUBLISH in flight when the server hangs would be one more timeout
    const a = make(redis, uniquePrefix('r'), { maxMemoryEntries: 0, bus: false });
    const b = make(redis, uniquePrefix('r'), { maxMemoryEntries: 0, bus: false });
    await a.set('k', 1);
    await b.set('k', 2);
    const bErrors: string[] = [];
    b.events.on((e) => {
      if (e.type === 'error') bErrors.push(`${e.operation}: ${e.reason}`);
    });
    await whilePaused([a, b], async () => {
      const first = await timed(() => a.get('k'));
      expect(first.value).toBeUndefined();
      expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(first.ms).toBeLessThan(TIMEOUT_MS * 4);
      // B never sent anything: the outage A saw is B's too
      for (let i = 0; i < 5; i++) {
        const r = await timed(() => b.getOrSet(`g${i}`, () => i));
        expect(r.value).toBe(i);
        expect(r.ms).toBeLessThan(50);
      }
      expect(bErrors).toEqual([]);
      expect(b.stats().fallback).toBeGreaterThanOrEqual(5);
      expect(a.stats().error).toBe(1);
    });
    expect(await b.get('k')).toBe(2);
  }, 60_000);

  it("onRedisError 'deny' throws the typed error, at once after the first timeout", async () => {
    const cache = make(client(), uniquePrefix('r'), { onRedisError: 'deny' });
    await cache.set('k', 1);
    await whilePaused([cache], async () => {
      await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
      const r = await timed(() => cache.getOrSet('x', () => 1).catch((e: unknown) => e));
      expect(r.value).toBeInstanceOf(CacheUnavailableError);
      expect((r.value as CacheUnavailableError).code).toBe('E_CACHE_UNAVAILABLE');
      expect(r.ms).toBeLessThan(50);
      await expect(cache.set('k', 2)).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(cache.incr('n')).rejects.toBeInstanceOf(CacheUnavailableError);
    });
    // the refused set's old Redis copy was deleted on replay (it is known to be outdated)
    expect(await cache.get('k')).toBeUndefined();
  }, 60_000);
});

describe('counters', () => {
  it('incr is atomic across instances, gets its TTL when created, reads with get', async () => {
    const prefix = uniquePrefix('r');
    const a = make(client(), prefix, { l1: { mode: 'tier' } });
    const b = make(client(), prefix);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).incr('hits', 1, { ttl: 30 })),
    );
    expect(new Set(results).size).toBe(100);
    expect(Math.max(...results)).toBe(100);
    expect(await a.get('hits')).toBe(100);
    expect(await b.get('hits')).toBe(100);
    expect(await a.incr('hits', -10)).toBe(90);
    const ttl = await b.ttl('hits');
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    await a.set('value', { not: 'a counter' });
    await expect(a.incr('value')).rejects.toMatchObject({ code: 'E_CACHE_NOT_COUNTER' });
    // during an outage it counts in memory from the last value this instance saw
    // A's writes reach B's bus (they drop B's copies) a few ms later: let them land first
    await waitUntil(() => b.stats().busReceived >= 52, { timeoutMs: 5000, what: 'bus settled' });
    expect(await b.incr('hits')).toBe(91);
    await whilePaused([b], async () => {
      expect(await b.incr('hits')).toBe(92);
      expect(await b.incr('hits')).toBe(93);
    });
    // Redis kept its own count: 91, plus the increment that timed out when the outage began if
    // the hung server ran it after all (a command that timed out may still have been executed)
    const raw = Number(await client().get(`${prefix}cache:hits`));
    expect([91, 92]).toContain(raw);
  }, 60_000);
});

describe('memory-only (no redis)', () => {
  it('is a first-class mode: tiers, counters, tags, patterns, sources', async () => {
    const cache = make(undefined, uniquePrefix('r'), { maxMemoryEntries: 100 });
    expect(cache.stats().redis).toBe('absent');
    expect(await cache.set('a', 1, { tags: ['t'] })).toBe(true);
    expect(await cache.getWithMeta('a')).toEqual({ value: 1, source: 'l1' });
    expect(await cache.getOrSetWithMeta('b', () => 2)).toEqual({ value: 2, source: 'loader' });
    expect(await cache.getOrSetWithMeta('b', () => 3)).toEqual({ value: 2, source: 'l1' });
    expect(await cache.incr('n', 5)).toBe(5);
    expect(await cache.incr('n')).toBe(6);
    expect(await cache.invalidateTags(['t'])).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
    await cache.namespace('ns').set('x', 1);
    expect(await cache.namespace('ns').deleteByPattern('*')).toBe(1);
    expect(cache.stats().degraded).toBe(false);
    expect(cache.stats().fallback).toBe(0);
  });
});

describe('events', () => {
  it('every operation emits in the shared shape; stats() sums them', async () => {
    const prefix = uniquePrefix('r');
    const cache = make(client(), prefix, { maxMemoryEntries: 0 });
    const seen: ToolkitEvent[] = [];
    const off = cache.events.on((e) => seen.push(e));
    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(await cache.mget(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    await cache.get('a');
    await cache.get('zz');
    await cache.getOrSet('g', () => 1);
    off();
    const summary = seen.map((e) => `${e.type}:${e.operation}:${e.count}`);
    expect(summary).toEqual([
      'hit:mget:2',
      'miss:mget:1',
      'hit:get:1',
      'miss:get:1',
      'miss:getOrSet:1',
    ]);
    for (const e of seen) {
      expect(e.package).toBe('cache');
      expect(e.name).toBe(`${prefix}cache`);
    }
    const stats = cache.stats();
    expect(stats).toMatchObject({ hit: 3, miss: 3, stale: 0, error: 0, fallback: 0, redis: 'up' });
    // an outage: mget / mset report the items answered without Redis
    const outage: ToolkitEvent[] = [];
    cache.events.on((e) => outage.push(e));
    await whilePaused([cache], async () => {
      await cache.get('a'); // pays the timeout
      expect(await cache.mset([{ key: 'x', value: 1 }])).toBe(false);
      await cache.mget(['a', 'b']);
    });
    const types = outage.map((e) => `${e.type}:${e.operation}:${e.count}`);
    expect(types).toContain('error:get:1');
    expect(types).toContain('fallback:mset:1');
    expect(types).toContain('fallback:mget:2');
    expect(types).toContain('miss:mget:2');
  }, 60_000);
});
