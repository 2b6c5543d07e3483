import { captureLogger, describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import { createLimiter, createRateLimiter } from '../src/index.js';
import { startApp, uniqueName } from './helpers.js';
import { eachDuration, pauseAll, timed } from './outage-helpers.js';

// Long enough that a script load on a loaded 2-core CI machine does not start an outage by itself.
const TIMEOUT = '500ms';
const TIMEOUT_MS = 500;
/** Slack for a loaded 2-core machine on the first (timed-out) call. */
const FIRST_CALL_MS = TIMEOUT_MS * 3 + 300;
/**
 * The contract: once the outage started, a decision costs no Redis wait at all. A wait would take
 * the whole TIMEOUT on the hung server; the bound leaves room for a loaded machine's scheduling.
 */
const POLICY_MS = TIMEOUT_MS / 2;

describeEachTopology('when Redis hangs (SIGSTOP)', (ctx) => {
  it("'memory' (default): one timeout, then memory decisions each without a Redis wait; Redis again on resume", async () => {
    const redis = ctx.client();
    await redis.ping();
    const logger = captureLogger();
    const limiter = createLimiter({
      redis,
      name: uniqueName('mem'),
      window: '1m',
      limit: 3,
      commandTimeout: TIMEOUT,
      logger,
    });
    expect((await limiter.consume('k')).source).toBe('redis');
    const resume = await pauseAll(ctx);
    const first = await timed(() => limiter.consume('k'));
    expect(first.value).toMatchObject({ allowed: true, source: 'memory' });
    expect(first.ms).toBeLessThan(FIRST_CALL_MS);
    const decisions: [boolean, string][] = [];
    const durations = await eachDuration(20, async () => {
      const d = await limiter.consume('k');
      decisions.push([d.allowed, d.source]);
    });
    expect(Math.max(...durations)).toBeLessThan(POLICY_MS);
    // the memory fallback starts its own count: 3 allowed (1 + 2), then blocked
    expect(decisions.slice(0, 3)).toEqual([
      [true, 'memory'],
      [true, 'memory'],
      [false, 'memory'],
    ]);
    expect(limiter.stats()).toMatchObject({ fallback: 21, error: 1, redis: 'down' });
    resume();
    await waitUntil(async () => (await limiter.consume('other')).source === 'redis', {
      what: 'decisions from Redis again',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(limiter.stats().redis).toBe('up');
    // the runtime logs the outage once and its end once; the package adds nothing above debug
    // (on Sentinel the runtime also warns once at creation: this test client has no failoverDetector)
    const warnings = logger.lines('warn').filter((l) => !/without failoverDetector/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(logger.lines('info').some((l) => /outage ended/.test(l.msg))).toBe(true);
  });

  it('200 decisions in flight while paused all settle within one timeout', async () => {
    const redis = ctx.client();
    await redis.ping();
    const limiter = createLimiter({
      redis,
      name: uniqueName('many'),
      window: '1m',
      limit: 50,
      commandTimeout: TIMEOUT,
    });
    const resume = await pauseAll(ctx);
    const started = performance.now();
    const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('k')));
    expect(performance.now() - started).toBeLessThan(FIRST_CALL_MS);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(decisions.every((d) => d.source === 'memory')).toBe(true);
    resume();
  });

  it("'allow': requests pass untouched; after the first timeout each without a Redis wait", async () => {
    const redis = ctx.client();
    await redis.ping();
    const mw = createRateLimiter({
      redis,
      name: uniqueName('allow'),
      window: '1m',
      limit: 1,
      onRedisError: 'allow',
      commandTimeout: TIMEOUT,
    });
    const { url } = await startApp(mw);
    expect((await fetch(url)).status).toBe(200);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(await limited.json()).toEqual({
      error: { code: 'E_RATELIMIT_LIMITED', message: 'Too many requests, please try again later.' },
    });
    const resume = await pauseAll(ctx);
    const res = await timed(() => fetch(url));
    expect(res.value.status).toBe(200);
    expect(res.ms).toBeLessThan(FIRST_CALL_MS);
    const durations = await eachDuration(10, async () => {
      expect((await fetch(url)).status).toBe(200);
    });
    expect(Math.max(...durations)).toBeLessThan(POLICY_MS);
    expect(mw.limiter.stats()).toMatchObject({ fallback: 11, allow: 12, block: 1 });
    resume();
  });

  it("'deny': 503 JSON with Retry-After; after the first timeout each without a Redis wait", async () => {
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
        commandTimeout: TIMEOUT,
        unavailableMessage: 'try later',
      });
    const a = await startApp(make(503));
    const b = await startApp(make(429));
    expect((await fetch(a.url)).status).toBe(200);
    const resume = await pauseAll(ctx);
    const res = await timed(() => fetch(a.url));
    expect(res.value.status).toBe(503);
    expect(Number(res.value.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.value.json()).toEqual({
      error: { code: 'E_RATELIMIT_UNAVAILABLE', message: 'try later' },
    });
    expect(res.ms).toBeLessThan(FIRST_CALL_MS);
    const durations = await eachDuration(10, async () => {
      const r = await fetch(a.url);
      await r.arrayBuffer();
      expect(r.status).toBe(503);
    });
    expect(Math.max(...durations)).toBeLessThan(POLICY_MS);
    const other = await fetch(b.url);
    expect(other.status).toBe(429);
    expect(other.headers.get('retry-after')).not.toBeNull();
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe(
      'E_RATELIMIT_UNAVAILABLE',
    );
    resume();
  });
});

describeEachTopology('when the server is killed', (ctx) => {
  it('answers from memory at once and returns to Redis once it is back', async () => {
    const redis = ctx.client();
    await redis.ping();
    const limiter = createLimiter({
      redis,
      name: uniqueName('kill'),
      window: '1m',
      limit: 5,
      algorithm: 'sliding-window',
      commandTimeout: TIMEOUT,
    });
    const mw = createRateLimiter({
      redis,
      name: uniqueName('kill-http'),
      window: '1m',
      limit: 5,
      commandTimeout: TIMEOUT,
    });
    const { url } = await startApp(mw);
    expect((await limiter.consume('k')).source).toBe('redis');
    const servers = ctx.sentinel
      ? [await ctx.sentinel.master()]
      : ctx.cluster
        ? await ctx.cluster.masters()
        : [ctx.standalone!];
    for (const s of servers) await s.kill();
    const first = await timed(() => limiter.consume('k'));
    expect(first.value.source).toBe('memory');
    expect(first.ms).toBeLessThan(FIRST_CALL_MS);
    const durations = await eachDuration(20, async () => {
      expect((await limiter.consume('k')).source).toBe('memory');
    });
    expect(Math.max(...durations)).toBeLessThan(POLICY_MS);
    const res = await timed(() => fetch(url));
    expect(res.value.status).toBe(200);
    expect(res.value.headers.get('ratelimit')).toMatch(/remaining=4/);
    expect(res.ms).toBeLessThan(POLICY_MS * 4);
    // Sentinel promotes the replica by itself; standalone and Cluster nodes come back empty
    if (!ctx.sentinel) for (const s of servers) await s.restart();
    await waitUntil(async () => (await limiter.consume('k')).source === 'redis', {
      what: 'back on Redis (scripts reloaded where the server is new or empty)',
      timeoutMs: 45_000,
      intervalMs: 200,
    });
    if (ctx.sentinel) for (const s of servers) await s.restart();
  });
});
