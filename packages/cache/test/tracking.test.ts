import {
  captureLogger,
  describeEachTopology,
  type RedisServer,
  startRedis,
  waitUntil,
} from '@redis-toolkit/testing';
import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Cache, type CacheOptions, createCache } from '../src/index.js';

/**
 * Server-assisted invalidation (CLIENT TRACKING BCAST → `__redis__:invalidate`): writes by a raw
 * ioredis client that knows nothing of the toolkit must leave the memory of two caches on two
 * other clients. Bounds are generous (a loaded 2-core machine); latency is measured in bench/.
 */

let n = 0;
const uniquePrefix = (): string => `trk${++n}${Date.now().toString(36)}:`;
const WAIT = { timeoutMs: 10_000, intervalMs: 20 };

/** What a foreign writer stores: a valid envelope, so the cache can serve the new value. */
const envelope = (v: unknown, ttlMs = 60_000): string => {
  const now = Date.now();
  return JSON.stringify({ v, e: now + ttlMs, g: now + ttlMs, c: now });
};

const make = (client: Redis | Cluster, prefix: string, extra: CacheOptions = {}): Cache => {
  const cache = createCache({
    redis: client,
    prefix,
    defaultTtl: '5m',
    l1: { mode: 'tier' },
    ...extra,
  });
  onTestFinished(() => cache.close());
  return cache;
};

const tracking = (cache: Cache) =>
  waitUntil(() => cache.stats().invalidation === 'tracking', {
    ...WAIT,
    what: 'tracking enabled',
  });

/** Reads until the value is served from memory (fills right after an invalidation are refused on purpose). */
const inMemory = (cache: Cache, key: string, value: unknown) =>
  waitUntil(
    async () => {
      const got = await cache.getWithMeta(key);
      return got.source === 'l1' && JSON.stringify(got.value) === JSON.stringify(value);
    },
    { ...WAIT, what: `${key} in memory` },
  );

const notInMemory = (cache: Cache, key: string) =>
  waitUntil(async () => (await cache.getWithMeta(key)).source !== 'l1', {
    ...WAIT,
    what: `${key} dropped from memory`,
  });

/** Kills every invalidation subscriber of the caches on `servers` (CLIENT KILL by id). */
async function killSubscribers(servers: RedisServer[]): Promise<number> {
  let killed = 0;
  for (const server of servers) {
    const list = await server.cli('CLIENT', 'LIST');
    for (const line of list.split('\n')) {
      if (!line.includes('name=rtk:invalidate:')) continue;
      const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
      if (id) {
        await server.cli('CLIENT', 'KILL', 'ID', id);
        killed++;
      }
    }
  }
  return killed;
}

describeEachTopology('server-assisted L1 invalidation', (ctx) => {
  const servers = async (): Promise<RedisServer[]> => {
    if (ctx.standalone) return [ctx.standalone];
    if (ctx.cluster) return ctx.cluster.masters();
    return [await ctx.sentinel!.master()];
  };

  it('a foreign SET, DEL and expiry leave the memory of two caches on two clients', async () => {
    const prefix = uniquePrefix();
    const a = make(ctx.client(), prefix);
    const b = make(ctx.client(), prefix);
    const foreign = ctx.client();
    await Promise.all([tracking(a), tracking(b)]);
    const full = `${a.keyPrefix}k`;

    await a.set('k', 'v1');
    await Promise.all([inMemory(a, 'k', 'v1'), inMemory(b, 'k', 'v1')]);

    await foreign.set(full, envelope('v2'));
    await Promise.all([notInMemory(a, 'k'), notInMemory(b, 'k')]);
    expect((await a.get('k')) === 'v2' && (await b.get('k')) === 'v2').toBe(true);
    await Promise.all([inMemory(a, 'k', 'v2'), inMemory(b, 'k', 'v2')]);

    await foreign.del(full);
    await Promise.all([notInMemory(a, 'k'), notInMemory(b, 'k')]);
    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBeUndefined();

    // Redis expires the key (logical expiry far away, so only the server's expiry can drop it)
    await foreign.set(full, envelope('short'), 'PX', 4000);
    await Promise.all([inMemory(a, 'k', 'short'), inMemory(b, 'k', 'short')]);
    await Promise.all([notInMemory(a, 'k'), notInMemory(b, 'k')]);
    expect(await a.get('k')).toBeUndefined();
    expect(a.stats().invalidationsReceived).toBeGreaterThan(0);
    expect(b.stats().invalidationsReceived).toBeGreaterThan(0);
  }, 60_000);

  it('caches added to a client that already tracks are told so: they report tracking and serve memory', async () => {
    const client = ctx.client();
    const foreign = ctx.client();
    const prefix = uniquePrefix();
    const first = make(client, prefix);
    await tracking(first);
    // created after CLIENT TRACKING is on: a new prefix (tracking is enabled again with it), and
    // the first cache's prefix (already tracked); 'tracking' must serve memory, 'auto' says tracking
    const later = [
      make(client, uniquePrefix(), { l1: { mode: 'tier', invalidation: 'tracking' } }),
      make(client, uniquePrefix()),
      make(client, prefix, { l1: { mode: 'tier', invalidation: 'tracking' } }),
    ];
    await Promise.all(later.map(tracking));
    expect(first.stats().invalidation).toBe('tracking');
    for (const [i, cache] of [first, ...later].entries()) {
      const key = `k${i}`;
      await cache.set(key, 'v1');
      await inMemory(cache, key, 'v1');
      expect((await cache.getWithMeta(key)).source).toBe('l1');
      // their memory is kept by the server's invalidations, not by the toolkit's bus
      await foreign.set(`${cache.keyPrefix}${key}`, envelope('v2'));
      await notInMemory(cache, key);
      expect(await cache.get(key)).toBe('v2');
      expect(cache.stats().invalidation).toBe('tracking');
    }
  }, 90_000);

  it('a foreign tag-time write, and FLUSHDB (a null message), drop memory', async () => {
    const prefix = uniquePrefix();
    const a = make(ctx.client(), prefix);
    const foreign = ctx.client();
    await tracking(a);
    await a.set('t', 'tagged', { tags: ['x'] });
    await inMemory(a, 't', 'tagged');
    // what invalidateTags writes, done by hand by someone else
    await foreign.set(`${a.keyPrefix}#tag:x`, String(Date.now() + 1));
    await notInMemory(a, 't');
    expect(await a.get('t')).toBeUndefined();
    if (ctx.cluster) return; // FLUSHDB reaches one node of a Cluster: covered on the single-master topologies
    await a.set('u', 'plain');
    await inMemory(a, 'u', 'plain');
    await foreign.flushdb();
    await notInMemory(a, 'u');
    expect(await a.get('u')).toBeUndefined();
  }, 30_000);

  it('a read right after an invalidation is answered but not kept in memory (the reply may predate it)', async () => {
    if (!ctx.standalone) return; // topology-independent logic; the topologies are covered above
    const prefix = uniquePrefix();
    // window = 2 × commandTimeout + 100 ms = 4.1 s: far longer than the reads below take
    const a = make(ctx.client(), prefix, { commandTimeout: '2s' });
    const foreign = ctx.client();
    await tracking(a);
    await foreign.set(`${a.keyPrefix}k`, envelope('v1'));
    await waitUntil(() => a.stats().invalidationsReceived > 0, { ...WAIT, what: 'invalidation' });
    const started = Date.now();
    expect(await a.getWithMeta('k')).toEqual({ value: 'v1', source: 'redis' });
    expect(await a.getWithMeta('k')).toEqual({ value: 'v1', source: 'redis' });
    if (Date.now() - started < 3000) expect(a.stats().l1.entries).toBe(0);
    await inMemory(a, 'k', 'v1'); // kept once the window has passed
  }, 30_000);

  it('subscriber killed (CLIENT KILL): memory dropped and tracking re-established', async () => {
    const prefix = uniquePrefix();
    const a = make(ctx.client(), prefix);
    const foreign = ctx.client();
    await tracking(a);
    const resets: string[] = [];
    a.on('bus:reset', ({ reason }) => resets.push(reason));
    await a.set('k', 'v1');
    await inMemory(a, 'k', 'v1');

    expect(await killSubscribers(await servers())).toBeGreaterThan(0);
    // on a Cluster the kills land one node at a time: wait for every node to track again
    await waitUntil(
      () => resets.includes('tracking re-established') && a.stats().invalidation === 'tracking',
      { ...WAIT, what: 'tracking re-established' },
    );
    await a.get('k');
    await inMemory(a, 'k', 'v1');
    await foreign.set(`${a.keyPrefix}k`, envelope('v2'));
    await notInMemory(a, 'k');
    expect(await a.get('k')).toBe('v2');
  }, 60_000);

  it('while tracking is lost (subscriber cannot reconnect), memory is not served; it is again once tracking is back', async () => {
    if (!ctx.standalone) return; // maxclients is set on the one server; the kill test covers the others
    const prefix = uniquePrefix();
    const log = captureLogger('debug');
    const a = make(ctx.client(), prefix, { logger: log });
    await tracking(a);
    await a.set('k', 'v1');
    await inMemory(a, 'k', 'v1');
    const admin = ctx.client() as Redis;
    const info = String(await admin.info('clients'));
    const connected = Number(/connected_clients:(\d+)/.exec(info)?.[1]);
    const before = (await admin.config('GET', 'maxclients')) as string[];
    // no new connection accepted: the killed subscriber cannot come back
    await admin.config('SET', 'maxclients', String(connected - 1));
    try {
      const list = String(await admin.client('LIST'));
      const id = /(?:^|\s)id=(\d+)[^\n]*name=rtk:invalidate:/.exec(list)?.[1];
      expect(id).toBeDefined();
      await admin.client('KILL', 'ID', id as string);
      await waitUntil(() => a.stats().invalidation !== 'tracking', {
        ...WAIT,
        what: 'tracking lost',
      });
      expect(a.stats().redis).toBe('up');
      expect((await a.getWithMeta('k')).source).toBe('redis');
      expect((await a.getWithMeta('k')).source).toBe('redis');
      // no Redis outage to fold it into: a loss that lasts is its own warning
      await waitUntil(() => log.lines('warn').some((l) => /tracking lost/.test(l.msg)), {
        ...WAIT,
        what: 'the tracking-lost warning',
      });
      expect(a.stats().redis).toBe('up');
    } finally {
      await admin.config('SET', 'maxclients', before[1] ?? '10000');
    }
    await tracking(a);
    await waitUntil(() => log.lines('info').some((l) => /tracking re-established/.test(l.msg)), {
      ...WAIT,
      what: 'the info line closing the warned loss',
    });
    await inMemory(a, 'k', 'v1');
  }, 60_000);

  it('Redis restart or failover: tracking is re-established and foreign writes still drop memory', async () => {
    const prefix = uniquePrefix();
    const a = make(ctx.client(), prefix, { commandTimeout: '300ms' });
    const foreign = ctx.client();
    await tracking(a);
    const resets: string[] = [];
    a.on('bus:reset', ({ reason }) => resets.push(reason));
    if (ctx.standalone) {
      await ctx.standalone.kill();
      await ctx.standalone.restart();
    } else if (ctx.sentinel) {
      await ctx.sentinel.failover();
    } else {
      // a Cluster node restarted without its config would not rejoin the cluster: the node set is
      // exercised by killing every subscriber and data connection instead
      const cluster = ctx.cluster!;
      for (const server of await cluster.masters()) {
        const list = await server.cli('CLIENT', 'LIST');
        for (const line of list.split('\n')) {
          const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
          if (id && !line.includes('cmd=client|list')) await server.cli('CLIENT', 'KILL', 'ID', id);
        }
      }
    }
    await waitUntil(() => resets.includes('tracking re-established'), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'tracking re-established after the restart',
    });
    await waitUntil(async () => (await a.set('k', 'v1')) === true, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'writes accepted again',
    });
    await inMemory(a, 'k', 'v1');
    await waitUntil(
      async () => (await foreign.set(`${a.keyPrefix}k`, envelope('v2')).catch(() => '')) === 'OK',
      { timeoutMs: 30_000, intervalMs: 100, what: 'foreign write' },
    );
    await notInMemory(a, 'k');
    expect(await a.get('k')).toBe('v2');
  }, 90_000);
});

describe('l1.invalidation option', () => {
  it('refuses a misspelt name and an unknown value, naming the field', () => {
    expect(() => createCache({ l1: { invalidaton: 'bus' } } as unknown as CacheOptions)).toThrow(
      /l1\.invalidation/,
    );
    expect(() =>
      createCache({ l1: { invalidation: 'server' } } as unknown as CacheOptions),
    ).toThrow(/l1\.invalidation.*'auto', 'tracking' or 'bus'/);
  });

  it("a memory-only cache reports 'none' (nothing to keep coherent)", () => {
    expect(createCache({}).stats().invalidation).toBe('none');
  });
});

describe('fallback to the bus where CLIENT TRACKING is refused', () => {
  let renamed: RedisServer;
  let denied: RedisServer;
  beforeAll(async () => {
    renamed = await startRedis({ args: ['--rename-command', 'CLIENT', '""'] });
    denied = await startRedis({
      args: ['--user', 'app', 'on', '>pw', '~*', '&*', '+@all', '-client|tracking'],
    });
  }, 60_000);
  afterAll(async () => {
    await renamed?.stop();
    await denied?.stop();
  });

  for (const [label, serverOf, options] of [
    ['CLIENT renamed away', () => renamed, {}],
    ['CLIENT TRACKING denied by ACL', () => denied, { username: 'app', password: 'pw' }],
  ] as const) {
    it(`${label}: 'auto' uses the bus, says so, and toolkit writes still drop memory`, async () => {
      const server = serverOf();
      const logger = captureLogger('info');
      const client = (): Redis => {
        const c = new Redis({ host: server.host, port: server.port, ...options });
        c.on('error', () => undefined);
        onTestFinished(() => c.disconnect());
        return c;
      };
      const prefix = uniquePrefix();
      const a = make(client(), prefix, { logger });
      const b = make(client(), prefix);
      await Promise.all([a.ready(), b.ready()]);
      await waitUntil(() => logger.entries.some((e) => /refuses CLIENT TRACKING/.test(e.msg)), {
        ...WAIT,
        what: 'refusal logged',
      });
      expect(a.stats().invalidation).toBe('bus');
      expect(logger.entries.filter((e) => /refuses CLIENT TRACKING/.test(e.msg))).toHaveLength(1);
      await a.set('k', 'v1');
      await inMemory(b, 'k', 'v1');
      await a.set('k', 'v2');
      await waitUntil(async () => (await b.get('k')) === 'v2', { ...WAIT, what: 'bus delivered' });
    }, 30_000);
  }

  it("'tracking' refused: an error naming l1.invalidation, and memory is not served", async () => {
    const logger = captureLogger('info');
    const c = new Redis({ host: renamed.host, port: renamed.port });
    c.on('error', () => undefined);
    onTestFinished(() => c.disconnect());
    const a = make(c, uniquePrefix(), { logger, l1: { mode: 'tier', invalidation: 'tracking' } });
    await waitUntil(() => logger.entries.some((e) => e.level === 'error'), {
      ...WAIT,
      what: 'error logged',
    });
    expect(JSON.stringify(logger.entries.find((e) => e.level === 'error'))).toContain(
      'l1.invalidation',
    );
    await a.set('k', 'v1');
    expect((await a.getWithMeta('k')).source).toBe('redis');
    expect(a.stats().invalidation).toBe('none');
  }, 30_000);

  it("'bus' never tries tracking", async () => {
    const server = await startRedis();
    onTestFinished(() => server.stop());
    const c = new Redis({ host: server.host, port: server.port });
    onTestFinished(() => c.disconnect());
    const a = make(c, uniquePrefix(), { l1: { mode: 'tier', invalidation: 'bus' } });
    await a.ready();
    await new Promise((r) => setTimeout(r, 300));
    expect(a.stats().invalidation).toBe('bus');
    expect(await server.cli('CLIENT', 'LIST')).not.toContain('rtk:invalidate:');
  }, 30_000);
});
