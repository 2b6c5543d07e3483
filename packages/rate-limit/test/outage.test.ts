import type { TopologyContext } from '@redis-toolkit/testing';
import { describeEachTopology, type RedisServer, waitUntil } from '@redis-toolkit/testing';
import { expect, it, onTestFinished } from 'vitest';
import { createLimiter, createRateLimiter } from '../src/index.js';
import { startApp, uniqueName } from './helpers.js';

const TIMEOUT = 150;

/** The servers a key can live on: the standalone server, or every Cluster master. */
async function serversOf(ctx: TopologyContext): Promise<RedisServer[]> {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.masters();
  throw new Error('not used with sentinel here');
}

/** SIGSTOP every server holding data; SIGCONT when the test ends (even if it fails). */
async function pauseAll(ctx: TopologyContext): Promise<() => void> {
  const servers = await serversOf(ctx);
  for (const s of servers) s.pause();
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    for (const s of servers) s.resume();
  };
  onTestFinished(resume);
  return resume;
}

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
};

describeEachTopology(
  'when Redis is down',
  (ctx) => {
    it("'memory' (default): a paused server costs at most the timeout, limits hold per process, Redis again on recovery", async () => {
      const redis = ctx.client();
      await redis.ping();
      const limiter = createLimiter({
        redis,
        name: uniqueName('mem'),
        window: '1m',
        limit: 3,
        commandTimeoutMs: TIMEOUT,
        retryRedisAfterMs: 200,
      });
      const recovered = new Promise<void>((resolve) => limiter.events.once('recovered', resolve));
      expect((await limiter.consume('k')).source).toBe('redis');
      const resume = await pauseAll(ctx);
      const first = await timed(() => limiter.consume('k'));
      expect(first.value).toMatchObject({ allowed: true, source: 'memory' });
      expect(first.ms).toBeLessThan(TIMEOUT * 3 + 200);
      const more = [];
      for (let i = 0; i < 3; i++) more.push(await limiter.consume('k'));
      // the memory fallback starts its own count: 3 allowed, then blocked
      expect(more.map((d) => [d.allowed, d.source])).toEqual([
        [true, 'memory'],
        [true, 'memory'],
        [false, 'memory'],
      ]);
      const stats = limiter.stats();
      expect(stats.fallbacks).toBe(4);
      expect(stats.redisErrors).toBeGreaterThanOrEqual(1);
      resume();
      await waitUntil(async () => (await limiter.consume('other')).source === 'redis', {
        what: 'decisions from Redis again',
        timeoutMs: 15_000,
        intervalMs: 100,
      });
      await recovered;
    });

    it('200 decisions in flight while paused all settle within the timeout', async () => {
      const redis = ctx.client();
      await redis.ping();
      const limiter = createLimiter({
        redis,
        name: uniqueName('many'),
        window: '1m',
        limit: 50,
        commandTimeoutMs: TIMEOUT,
      });
      await pauseAll(ctx);
      const started = performance.now();
      const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('k')));
      expect(performance.now() - started).toBeLessThan(TIMEOUT * 3 + 300);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
      expect(decisions.every((d) => d.source === 'memory')).toBe(true);
    });

    it("'allow': requests pass untouched within the timeout while Redis is paused", async () => {
      const redis = ctx.client();
      await redis.ping();
      const mw = createRateLimiter({
        redis,
        name: uniqueName('allow'),
        window: '1m',
        limit: 1,
        onRedisError: 'allow',
        commandTimeoutMs: TIMEOUT,
      });
      const { url } = await startApp(mw);
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(429);
      await pauseAll(ctx);
      const res = await timed(() => fetch(url));
      expect(res.value.status).toBe(200);
      expect(res.ms).toBeLessThan(TIMEOUT * 3 + 300);
      expect((await fetch(url)).status).toBe(200);
      expect(mw.limiter.stats().fallbacks).toBe(2);
    });

    it("'deny': 503 with Retry-After within the timeout (or 429 if configured)", async () => {
      const redis = ctx.client();
      await redis.ping();
      const make = (denyStatusCode: 429 | 503) =>
        createRateLimiter({
          redis,
          name: uniqueName('deny'),
          window: '1m',
          limit: 100,
          onRedisError: 'deny',
          denyStatusCode,
          commandTimeoutMs: TIMEOUT,
          message: 'try later',
        });
      const a = await startApp(make(503));
      const b = await startApp(make(429));
      expect((await fetch(a.url)).status).toBe(200);
      await pauseAll(ctx);
      const res = await timed(() => fetch(a.url));
      expect(res.value.status).toBe(503);
      expect(Number(res.value.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await res.value.text()).toBe('try later');
      expect(res.ms).toBeLessThan(TIMEOUT * 3 + 300);
      const other = await fetch(b.url);
      expect(other.status).toBe(429);
      expect(other.headers.get('retry-after')).not.toBeNull();
    });
  },
  ['standalone', 'cluster'],
);

describeEachTopology(
  'when the server is killed',
  (ctx) => {
    it('falls back to memory within the timeout and returns to Redis after a restart', async () => {
      const server = ctx.standalone!;
      const redis = ctx.client({ maxRetriesPerRequest: 1 });
      const limiter = createLimiter({
        redis,
        name: uniqueName('kill'),
        window: '1m',
        limit: 5,
        algorithm: 'sliding-window',
        commandTimeoutMs: TIMEOUT,
        retryRedisAfterMs: 200,
      });
      expect((await limiter.consume('k')).source).toBe('redis');
      await server.kill();
      onTestFinished(async () => {
        if (!(await server.cli('ping').catch(() => ''))) await server.restart();
      });
      const during = await timed(() => limiter.consume('k'));
      expect(during.value.source).toBe('memory');
      expect(during.ms).toBeLessThan(TIMEOUT * 3 + 200);
      // the HTTP path too
      const mw = createRateLimiter({
        redis,
        name: uniqueName('kill-http'),
        window: '1m',
        limit: 5,
        commandTimeoutMs: TIMEOUT,
      });
      const { url } = await startApp(mw);
      const res = await timed(() => fetch(url));
      expect(res.value.status).toBe(200);
      expect(res.value.headers.get('ratelimit')).toMatch(/remaining=4/);
      expect(res.ms).toBeLessThan(TIMEOUT * 3 + 300);
      await server.restart();
      await waitUntil(async () => (await limiter.consume('k')).source === 'redis', {
        what: 'back on Redis (scripts reloaded on the empty server)',
        timeoutMs: 20_000,
        intervalMs: 100,
      });
    });
  },
  ['standalone'],
);

describeEachTopology(
  'while the client is reconnecting',
  (ctx) => {
    it('decides at once from the fallback and warns once per outage, not per request', async () => {
      const server = ctx.standalone!;
      const redis = ctx.client({ maxRetriesPerRequest: null, retryStrategy: () => 50 });
      await redis.ping();
      const warnings: string[] = [];
      const infos: string[] = [];
      const record = (into: string[]) => (a: unknown, b?: unknown) => {
        into.push(typeof a === 'string' ? a : String(b));
      };
      const limiter = createLimiter({
        redis,
        name: uniqueName('reconnecting'),
        window: '1m',
        limit: 1000,
        commandTimeoutMs: 2_000,
        logger: {
          debug: () => {},
          info: record(infos),
          warn: record(warnings),
          error: record(warnings),
        },
      });
      expect((await limiter.consume('k')).source).toBe('redis');
      await server.kill();
      await waitUntil(() => redis.status !== 'ready', { what: 'client notices the outage' });
      const started = performance.now();
      for (let i = 0; i < 50; i++) {
        expect((await limiter.consume('k')).source).toBe('memory');
      }
      // 50 decisions without waiting for the 2 s command timeout even once
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(warnings).toHaveLength(1);
      await server.restart();
      await waitUntil(async () => (await limiter.consume('k')).source === 'redis', {
        what: 'back on Redis',
        timeoutMs: 10_000,
      });
      expect(warnings).toHaveLength(1);
      expect(infos.some((m) => m.includes('answers again'))).toBe(true);
    });
  },
  ['standalone'],
);
