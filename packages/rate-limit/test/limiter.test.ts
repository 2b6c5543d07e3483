import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLimiter } from '../src/index.js';
import { fixedWindowConsume } from '../src/lua/fixed-window.js';
import { slidingWindowConsume } from '../src/lua/sliding-window.js';
import { uniqueName } from './helpers.js';

describeEachTopology('createLimiter', (ctx) => {
  for (const algorithm of ['fixed-window', 'sliding-window'] as const) {
    describe(algorithm, () => {
      it('admits exactly `limit` units per window and reports remaining and retry', async () => {
        const redis = ctx.client();
        const limiter = createLimiter({
          redis,
          name: uniqueName('basic'),
          window: '1m',
          limit: 3,
          algorithm,
        });
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await limiter.consume('user:1'));
        expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
        expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
        expect(results.every((r) => r.source === 'redis')).toBe(true);
        const blocked = results[4]!;
        expect(blocked.retryAfterMs).toBeGreaterThan(50_000);
        expect(blocked.retryAfterMs).toBeLessThanOrEqual(60_000);
        expect(blocked.resetAt).toBeGreaterThan(Date.now());
        // another key has its own budget
        expect((await limiter.consume('user:2')).allowed).toBe(true);
        expect(limiter.stats()).toMatchObject({
          allow: 4,
          block: 2,
          fallback: 0,
          error: 0,
          redis: 'up',
        });
      });

      it('consumes a cost, rejects what does not fit without counting it, peeks and resets', async () => {
        const redis = ctx.client();
        // e-mail sending: 10 per hour per user
        const emails = createLimiter({
          redis,
          name: uniqueName('email'),
          window: '1h',
          limit: 10,
          algorithm,
        });
        expect((await emails.consume('u1', 4)).remaining).toBe(6);
        expect((await emails.consume('u1', 7)).allowed).toBe(false);
        const peek = await emails.peek('u1');
        expect(peek).toMatchObject({ allowed: true, used: 4, remaining: 6 });
        expect((await emails.consume('u1', 6)).allowed).toBe(true);
        expect((await emails.peek('u1')).allowed).toBe(false);
        await emails.refund('u1', 2);
        expect((await emails.peek('u1')).remaining).toBe(2);
        await emails.reset('u1');
        expect((await emails.peek('u1')).remaining).toBe(10);
        await expect(emails.consume('u1', 11)).rejects.toMatchObject({
          code: 'E_RATELIMIT_COST',
        });
        await expect(emails.consume('u1', 0)).rejects.toMatchObject({
          code: 'E_RATELIMIT_COST',
        });
      });

      it('frees the window after it passes', async () => {
        const redis = ctx.client();
        const limiter = createLimiter({
          redis,
          name: uniqueName('expiry'),
          window: '300ms',
          limit: 2,
          algorithm,
        });
        await limiter.consume('k');
        await limiter.consume('k');
        const blocked = await limiter.consume('k');
        expect(blocked.allowed).toBe(false);
        await waitUntil(async () => (await limiter.peek('k')).allowed, {
          what: 'window passes',
          timeoutMs: 5000,
        });
        expect((await limiter.consume('k')).allowed).toBe(true);
      });

      it('writes one hash-tagged key per limiter key, with a TTL, and encodes user input', async () => {
        const redis = ctx.client();
        const name = uniqueName('keys');
        const limiter = createLimiter({
          redis,
          prefix: 'dental:',
          name,
          window: '1m',
          limit: 5,
          algorithm,
        });
        const key = limiter.keyFor('a:b {x}*');
        expect(key).toBe(`dental:ratelimit:${name}:{a%3Ab%20%7Bx%7D%2A}`);
        await limiter.consume('a:b {x}*');
        expect(await redis.exists(key)).toBe(1);
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
        expect(await redis.type(key)).toBe(algorithm === 'fixed-window' ? 'string' : 'zset');
      });

      it('reloads its script after the server forgets it (NOSCRIPT)', async () => {
        const redis = ctx.client();
        const limiter = createLimiter({
          redis,
          name: uniqueName('noscript'),
          window: '1m',
          limit: 5,
          algorithm,
        });
        await limiter.ready();
        expect((await limiter.consume('k')).source).toBe('redis');
        const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
        const sha =
          algorithm === 'fixed-window' ? fixedWindowConsume.sha : slidingWindowConsume.sha;
        for (const node of nodes) {
          expect(await node.script('EXISTS', sha)).toEqual([1]);
          await node.script('FLUSH');
        }
        const after = await limiter.consume('k');
        expect(after).toMatchObject({ source: 'redis', used: 2 });
        expect(limiter.stats().error).toBe(0);
      });
    });
  }

  it('loads its scripts on every master of a Cluster', async () => {
    const redis = ctx.client();
    const limiter = createLimiter({ redis, name: uniqueName('load'), window: '1m', limit: 5 });
    await redis.ping();
    await limiter.ready();
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    if (ctx.name === 'cluster') expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      // the algorithm's own scripts (the others load on first use, NOSCRIPT → EVAL)
      expect(await node.script('EXISTS', fixedWindowConsume.sha)).toEqual([1]);
    }
  });

  it('keeps counting after the server restarts empty (script reloaded)', async () => {
    if (!ctx.standalone) return; // restart of one standalone server; Cluster/Sentinel covered by SCRIPT FLUSH above
    const redis = ctx.client();
    const limiter = createLimiter({
      redis,
      name: uniqueName('restart'),
      window: '1m',
      limit: 5,
      algorithm: 'sliding-window',
    });
    expect((await limiter.consume('k')).source).toBe('redis');
    await ctx.standalone.restart();
    await waitUntil(async () => (await limiter.consume('k')).source === 'redis', {
      what: 'decisions from Redis after restart',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect((await limiter.peek('k')).source).toBe('redis');
  });
});

describeEachTopology('limiters on a client that is still connecting', (ctx) => {
  it('a dozen of them add one ready listener, preload on ready, and raise no listener warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const redis = ctx.client({ lazyConnect: true });
    try {
      const before = redis.listenerCount('ready');
      const limiters = Array.from({ length: 12 }, (_, i) =>
        createLimiter({ redis, name: uniqueName(`connecting-${i}`), window: '1m', limit: 2 }),
      );
      // the runtime's own listener and one shared queue for the twelve preloads
      expect(redis.listenerCount('ready') - before).toBeLessThanOrEqual(2);
      // (a Cluster client starts connecting when created)
      if (redis.status === 'wait') await redis.connect();
      for (const limiter of limiters) expect((await limiter.consume('k')).source).toBe('redis');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      redis.disconnect();
    }
  });
});
