import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { type Cache, type CacheEvents, type CacheOptions, createCache } from '../src/index.js';
import { startProxy, type TcpProxy } from './fixtures/proxy.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

let n = 0;
const uniquePrefix = (): string => `o${++n}${Date.now().toString(36)}:`;
const TIMEOUT = 200;

/** A client straight to the server (an instance the outage does not touch). */
function direct(options: RedisOptions = {}): Redis {
  const redis = new Redis({
    host: server.host,
    port: server.port,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
    ...options,
  });
  redis.on('error', () => {});
  onTestFinished(() => redis.disconnect());
  return redis;
}

/**
 * A client behind a proxy that can cut it off. No offline queue and no resend after reconnect, so
 * a command issued during the cut never reaches Redis later: only the cache's replay can.
 */
async function behindProxy(): Promise<{ redis: Redis; proxy: TcpProxy }> {
  const proxy = await startProxy(server);
  const redis = new Redis({
    host: '127.0.0.1',
    port: proxy.port,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  redis.on('error', () => {});
  await waitUntil(() => redis.status === 'ready', {
    timeoutMs: 5000,
    what: 'proxied client ready',
  });
  onTestFinished(async () => {
    redis.disconnect();
    await proxy.close();
  });
  return { redis, proxy };
}

function make(redis: Redis, prefix: string, extra: Partial<CacheOptions> = {}): Cache {
  const cache = createCache({
    redis,
    prefix,
    defaultTtl: '1m',
    commandTimeout: TIMEOUT / 1000,
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

it("fallback mode: read-after-write is fresh across instances; memory answers only while Redis is hung (copies marked stale); dropped when it's back", async () => {
  const prefix = uniquePrefix();
  const l1 = { mode: 'fallback' } as const;
  const a = make(direct(), prefix, { l1 });
  const b = make(direct(), prefix, { l1 });
  const states: boolean[] = [];
  a.on('degraded', ({ active }) => states.push(active));

  // strict read-after-write: B never answers from an in-process copy while Redis is healthy
  for (let i = 0; i < 50; i++) {
    await a.set('k', i);
    expect(await b.get('k')).toBe(i);
    expect(await b.getOrSet('k', () => -1)).toBe(i);
  }
  expect(await b.getOrSet('tagged', () => 'v1', { tags: ['x'] })).toBe('v1');
  expect(await a.invalidateTags(['x'])).toBe(true);
  expect(await b.getOrSet('tagged', () => 'v2', { tags: ['x'] })).toBe('v2');
  // B keeps copies of what Redis served, but never answers from them while Redis answers
  expect(b.stats().l1.entries).toBeGreaterThan(0);
  expect(b.stats().l1Hits).toBe(0);
  expect(b.stats().l2Hits).toBeGreaterThanOrEqual(100);

  server.pause();
  try {
    // every call answers within the command timeout (2-3x slack for a loaded machine)
    const w = await timed(() => a.set('m', 'memory'));
    expect(w.ms).toBeLessThan(TIMEOUT * 3);
    const r = await timed(() => a.get('m'));
    expect(r.value).toBe('memory');
    expect(r.ms).toBeLessThan(TIMEOUT * 3);
    let loads = 0;
    for (let i = 0; i < 3; i++) {
      const g = await timed(() => a.getOrSet('g', () => ++loads));
      expect(g.value).toBe(1); // loaded once, then served from memory
      expect(g.ms).toBeLessThan(TIMEOUT * 3);
    }
    expect(a.stats().degraded).toBe(true);
    // A's copy of what it last wrote to Redis: served, but marked stale
    expect(await a.getWithMeta('k')).toEqual({ value: 49, source: 'stale' });
    expect(await a.getWithMeta('m')).toEqual({ value: 'memory', source: 'l1' });
    expect(await a.get('never')).toBeUndefined(); // never in memory: a miss, not an error
  } finally {
    server.resume();
  }
  // back to Redis by itself (background recovery), memory dropped
  await waitUntil(() => !a.stats().degraded, { timeoutMs: 10_000, what: 'A uses Redis again' });
  expect(a.stats().l1.entries).toBe(0);
  expect(states).toEqual([true, false]);
  const l2Before = a.stats().l2Hits;
  expect(await a.get('k')).toBe(49);
  expect(a.stats().l2Hits).toBe(l2Before + 1);
  // the value set during the outage was written to memory only and its old Redis copy deleted
  expect(await a.get('m')).toBeUndefined();
  expect(await b.get('m')).toBeUndefined();
  expect(a.stats().replayed).toBe(1);
}, 60_000);

for (const mode of ['no l1', 'tier', 'fallback'] as const) {
  it(`invalidations made while Redis is unreachable are replayed, never resurface (${mode})`, async () => {
    const prefix = uniquePrefix();
    const { redis, proxy } = await behindProxy();
    // A's reads reach Redis as soon as the runtime's probe succeeds, so a read that used Redis
    // before the replay would see the old values
    const a = make(
      redis,
      prefix,
      mode === 'no l1' ? { maxMemoryEntries: 0 } : { maxMemoryEntries: 100, l1: { mode } },
    );
    const raw = direct();
    // B reads straight from Redis (another instance, not cut off)
    const b = make(raw, prefix);
    const replays: CacheEvents['replay'][] = [];
    a.on('replay', (e) => replays.push(e));

    await a.set('p1', 'old', { tags: ['patients'] });
    await a.set('k2', 'old');
    await a.set('page:1', 'old');
    await a.set('page:2', 'old');
    await a.set('other', 'kept');
    expect(await b.mget(['p1', 'k2', 'page:1', 'other'])).toEqual(['old', 'old', 'old', 'kept']);
    expect(await a.get('p1')).toBe('old'); // tier mode: now also in A's L1

    proxy.cut();
    try {
      expect(await a.invalidateTags(['patients'])).toBe(false);
      expect(await a.invalidateTags(['patients'])).toBe(false); // deduplicated
      expect(await a.del('k2')).toBe(mode === 'no l1' ? 0 : 1); // the memory copy only
      await a.deleteByPattern('page:*');
      expect(a.stats().pendingInvalidations).toBe(3);
      expect(a.stats().degraded).toBe(true);
      // A itself never serves the invalidated values
      expect(await a.get('p1')).toBeUndefined();
      expect(await a.get('k2')).toBeUndefined();
      expect(await a.get('page:1')).toBeUndefined();
      expect(await a.getOrSet('p1', () => 'new', { tags: ['patients'] })).toBe('new');
      // nothing reached Redis: without a replay the old values would resurface
      expect(await raw.get(`${prefix}cache:#tag:patients`)).toBeNull();
      expect(await b.mget(['p1', 'k2', 'page:1'])).toEqual(['old', 'old', 'old']);
    } finally {
      proxy.heal();
    }

    // A reads right away and keeps reading: never an old value, before or after the replay
    const seen: unknown[] = [];
    let redisReads = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const before = a.stats().l2Hits + a.stats().miss;
      for (const key of ['p1', 'k2', 'page:1', 'page:2']) seen.push(await a.get(key));
      if (!a.stats().degraded) redisReads += a.stats().l2Hits + a.stats().miss - before;
      if (a.stats().pendingInvalidations === 0 && !a.stats().degraded && redisReads >= 8) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen).not.toContain('old');
    expect(a.stats().degraded).toBe(false);
    expect(a.stats().replayed).toBe(3);
    expect(replays).toEqual([{ tags: 1, keys: 1, patterns: 1, cleared: false }]);
    // another instance reading Redis sees the invalidations; unrelated keys survive
    expect(await b.get('p1')).toBeUndefined();
    expect(await b.get('k2')).toBeUndefined();
    expect(await b.get('page:1')).toBeUndefined();
    expect(await b.get('page:2')).toBeUndefined();
    expect(await b.get('other')).toBe('kept');
    expect(await a.get('other')).toBe('kept');
    expect(Number(await raw.get(`${prefix}cache:#tag:patients`))).toBeGreaterThan(0);
    // and writes go to Redis again
    await a.set('after', 1);
    expect(await b.get('after')).toBe(1);
  }, 60_000);
}

it('pending invalidations are bounded: past the bound, the namespace is cleared on replay', async () => {
  const prefix = uniquePrefix();
  const { redis, proxy } = await behindProxy();
  const errors: string[] = [];
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error(_obj: unknown, msg?: string) {
      errors.push(String(msg ?? _obj));
    },
  };
  const a = make(redis, prefix, {
    maxMemoryEntries: 100,
    l1: { mode: 'fallback' },
    maxPendingInvalidations: 3,
    logger,
  });
  const raw = direct();
  const neighbour = make(raw, `${prefix}x`); // another application's prefix
  const b = make(raw, prefix);
  const replays: CacheEvents['replay'][] = [];
  a.on('replay', (e) => replays.push(e));
  for (let i = 0; i < 5; i++) await a.set(`k${i}`, i);
  await a.namespace('ns').set('deep', 1);
  await neighbour.set('k0', 'neighbour');

  proxy.cut();
  try {
    await a.del(['k0', 'k1']);
    await a.del('k1'); // deduplicated
    await a.invalidateTags(['t']);
    expect(a.stats().pendingInvalidations).toBe(3);
    expect(errors).toEqual([]);
    await a.del('k2'); // the 4th: overflow
    expect(a.stats().pendingInvalidations).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/too many invalidations pending/);
    await a.del('k3'); // subsumed
    expect(a.stats().pendingInvalidations).toBe(1);
  } finally {
    proxy.heal();
  }
  await waitUntil(() => a.stats().pendingInvalidations === 0, {
    timeoutMs: 10_000,
    what: 'namespace cleared',
  });
  expect(replays).toEqual([{ tags: 0, keys: 0, patterns: 1, cleared: true }]);
  // every entry of the cache is gone (sub-namespaces too); another prefix is untouched
  expect(await b.mget(['k0', 'k1', 'k2', 'k3', 'k4'])).toEqual([
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  expect(await b.namespace('ns').get('deep')).toBeUndefined();
  expect(await neighbour.get('k0')).toBe('neighbour');
}, 60_000);

it('rejects a bad mode or bound with a clear error', () => {
  const redis = direct({ lazyConnect: true });
  expect(() =>
    // @ts-expect-error invalid on purpose
    createCache({ redis, l1: { mode: 'both' } }),
  ).toThrow(/l1\.mode/);
  expect(() => createCache({ redis, maxPendingInvalidations: 0 })).toThrow(
    /maxPendingInvalidations/,
  );
});
