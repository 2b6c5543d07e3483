import type { AddressInfo } from 'node:net';
import { RedisRuntime } from '@redis-toolkit/connection';
import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import express from 'express';
import type { Cluster, Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { cacheResponse, invalidate } from '../src/express/index.js';
import { type Cache, createCache } from '../src/index.js';

/** A call slower than the default 500 ms on this loaded machine would start an outage and change the answer. */
const LOADED = '5s';

let n = 0;
const uniquePrefix = (): string => `rt${++n}${Date.now().toString(36)}:`;

/**
 * Records the commands a client sends and how many replies had arrived when each was sent:
 * commands of one round trip are all sent before the first of them is answered.
 */
function trace(client: Redis | Cluster) {
  const sent: { name: string; keys: number; afterReplies: number }[] = [];
  let replies = 0;
  let on = false;
  const seen = new WeakSet<object>();
  const target = client as unknown as {
    sendCommand(command: { name: string; args: unknown[]; promise: Promise<unknown> }): unknown;
  };
  const original = target.sendCommand.bind(target);
  target.sendCommand = (command) => {
    // only the cache's reads (not the watchdog PING, CLIENT TRACKING setup or bookkeeping)
    // a command queued while the client connects goes through sendCommand again when it is ready
    if (
      on &&
      !seen.has(command) &&
      ['get', 'mget', 'pttl', 'evalsha', 'eval'].includes(command.name)
    ) {
      seen.add(command);
      sent.push({ name: command.name, keys: command.args.length, afterReplies: replies });
      command.promise.then(
        () => replies++,
        () => replies++,
      );
    }
    return original(command);
  };
  return {
    async during<T>(
      fn: () => Promise<T>,
    ): Promise<{ result: T; roundTrips: number; commands: string[]; sent: string }> {
      sent.length = 0;
      replies = 0;
      on = true;
      try {
        const result = await fn();
        return {
          result,
          roundTrips: new Set(sent.map((s) => s.afterReplies)).size,
          sent: sent.map((s) => `${s.name}@${s.afterReplies}`).join(' '),
          commands: sent.map((s) => s.name),
        };
      } finally {
        on = false;
      }
    },
  };
}

describeEachTopology('cache round trips', (ctx) => {
  const modes = [
    ['fallback (default)', {}],
    ['tier', { l1: { mode: 'tier' as const } }],
    ['no memory', { maxMemoryEntries: 0 }],
  ] as const;

  for (const [label, options] of modes) {
    it(`${label}: a tagged entry and its tags' times come in one round trip when the tags are expected`, async () => {
      const prefix = uniquePrefix();
      const client = ctx.client();
      const cache = createCache({
        redis: client,
        prefix,
        defaultTtl: '1m',
        commandTimeout: LOADED,
        ...options,
      });
      // another instance writes, so this one holds no copy: only the hint names the tags
      const writer = createCache({
        redis: ctx.client(),
        prefix,
        maxMemoryEntries: 0,
        commandTimeout: LOADED,
      });
      await writer.set('staff', { n: 1 }, { tags: ['staff', 'clinic:1'] });
      const t = trace(client);
      const hit = await t.during(() => cache.getWithMeta('staff', { tags: ['staff', 'clinic:1'] }));
      expect(hit.result).toEqual({ value: { n: 1 }, source: 'redis' });
      expect(hit.roundTrips, hit.sent).toBe(1);
      if (ctx.name !== 'cluster') expect(hit.commands).toEqual(['mget']);

      // 'tier' memory now holds the entry: the bus decides how soon it leaves (bus.test.ts)
      if ('l1' in options) return void (await Promise.all([cache.close(), writer.close()]));
      // same semantics: an invalidated tag (by another instance) is never served
      await writer.invalidateTags(['clinic:1']);
      const after = await t.during(() => cache.get('staff', { tags: ['staff', 'clinic:1'] }));
      expect(after.result).toBeUndefined();
      expect(after.roundTrips, after.sent).toBe(1);

      // a tag the hint did not name is still checked (one more round trip)
      await writer.set('staff', { n: 2 }, { tags: ['staff', 'clinic:2'] });
      expect(await cache.get('staff', { tags: ['staff'] })).toEqual({ n: 2 });
      await writer.invalidateTags(['clinic:2']);
      const unnamed = await t.during(() => cache.get('staff', { tags: ['staff'] }));
      expect(unnamed.result).toBeUndefined();
      await Promise.all([cache.close(), writer.close()]);
    });
  }

  it('fallback mode: without a hint, the memory copy names the tags after the first read', async () => {
    const prefix = uniquePrefix();
    const client = ctx.client();
    const cache = createCache({ redis: client, prefix, defaultTtl: '1m', commandTimeout: LOADED });
    const writer = createCache({
      redis: ctx.client(),
      prefix,
      maxMemoryEntries: 0,
      commandTimeout: LOADED,
    });
    await writer.set('k', 'v1', { tags: ['a'] });
    const t = trace(client);
    const first = await t.during(() => cache.get('k'));
    expect(first.result).toBe('v1');
    expect(first.roundTrips).toBe(2); // GET, then the tag it did not know about
    // the copy is kept once server-assisted invalidation lets this read fill memory (a key
    // another client just wrote is held back for a moment); from then on: one round trip
    await waitUntil(async () => (await t.during(() => cache.get('k'))).roundTrips === 1, {
      timeoutMs: 5000,
    });
    await writer.invalidateTags(['a']);
    expect(await cache.get('k')).toBeUndefined();
    // getOrSet passes its own tags
    const loaded = await t.during(() =>
      cache
        .getOrSet('g', () => 'loaded', { tags: ['b'] })
        .then(() => cache.getOrSetWithMeta('g', () => 'again', { tags: ['b'] })),
    );
    expect(loaded.result).toEqual({ value: 'loaded', source: 'redis' });
    await Promise.all([cache.close(), writer.close()]);
  });

  it('response cache: a HIT is one round trip in every memory mode; invalidation still applies', async () => {
    for (const [, options] of modes) {
      const client = ctx.client();
      const cache: Cache = createCache({
        redis: client,
        prefix: uniquePrefix(),
        commandTimeout: LOADED,
        ...options,
      });
      let runs = 0;
      const app = express();
      app.get('/staff', cacheResponse({ cache, ttl: 60, tags: ['staff'] }), (_req, res) => {
        runs++;
        res.json({ runs });
      });
      app.post('/staff', invalidate({ cache, tags: ['staff'] }), (_req, res) => {
        res.status(204).end();
      });
      const server = app.listen(0);
      await new Promise<void>((r) => server.once('listening', () => r()));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const miss = await fetch(`${base}/staff`);
        expect(miss.headers.get('x-cache')).toBe('MISS');
        // the miss stores the response asynchronously
        await new Promise((r) => setTimeout(r, 50));
        const t = trace(client);
        const hit = await t.during(() => fetch(`${base}/staff`));
        expect(hit.result.headers.get('x-cache')).toBe('HIT');
        expect(await hit.result.json()).toEqual({ runs: 1 });
        // 'tier' mode answers from memory: no round trip at all
        expect(hit.roundTrips).toBeLessThanOrEqual(1);
        expect(await (await fetch(`${base}/staff`, { method: 'POST' })).status).toBe(204);
        await new Promise((r) => setTimeout(r, 50));
        const again = await fetch(`${base}/staff`);
        expect(again.headers.get('x-cache')).toBe('MISS');
        expect(await again.json()).toEqual({ runs: 2 });
      } finally {
        await new Promise((r) => server.close(r));
        await cache.close();
      }
    }
  });

  it('response cache prefetch: the read leaves with what runs before the route, one round trip for both', async () => {
    const client = ctx.client();
    const cache: Cache = createCache({
      redis: client,
      prefix: uniquePrefix(),
      commandTimeout: LOADED,
      maxMemoryEntries: 0,
    });
    const staffCache = cacheResponse({ cache, ttl: 60, tags: ['staff'] });
    const runtime = RedisRuntime.for(client);
    let runs = 0;
    const app = express();
    app.get('/staff', staffCache.prefetch);
    // stands for a limiter (its own command) and an auth check that may answer first
    app.use(async (req, res, next) => {
      await runtime.run('get', () => client.get('{rt}:limit'));
      if (req.query.anonymous !== undefined) res.status(401).json({ error: 'sign in' });
      else next();
    });
    app.get('/staff', staffCache, (_req, res) => {
      runs++;
      res.json({ runs });
    });
    const server = app.listen(0);
    await new Promise<void>((r) => server.once('listening', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/staff`)).headers.get('x-cache')).toBe('MISS');
      await new Promise((r) => setTimeout(r, 50));
      const t = trace(client);
      const hit = await t.during(() => fetch(`${base}/staff`));
      expect(hit.result.headers.get('x-cache')).toBe('HIT');
      expect(await hit.result.json()).toEqual({ runs: 1 });
      // the limiter's GET and the entry's MGET, both sent before either was answered
      if (ctx.name !== 'cluster') expect(hit.commands, hit.sent).toEqual(['mget', 'get']);
      expect(hit.roundTrips, hit.sent).toBe(1);
      // answered before the route: the read is dropped with its request, nothing served
      const anonymous = await fetch(`${base}/staff?anonymous`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('x-cache')).toBeNull();
      expect(runs).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
      await cache.close();
    }
  });
});
