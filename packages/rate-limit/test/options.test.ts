import { createHash } from 'node:crypto';
import { captureLogger } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CombinedRateLimitMiddleware,
  combineLimits,
  createLimiter,
  createRateLimiter,
  errors,
  type Limiter,
  type LimiterOptions,
  type LimiterStats,
  RateLimitConfigError,
  type RateLimitDecision,
  type RateLimiterOptions,
  type RateLimitMiddleware,
} from '../src/index.js';
import { fixedWindowConsume } from '../src/lua/fixed-window.js';
import { slidingWindowConsume } from '../src/lua/sliding-window.js';

// No server needed: validation happens before any command; this client never connects.
const redis = new Redis({ lazyConnect: true, port: 1, enableOfflineQueue: false });

const attempt = (extra: Record<string, unknown>) => () =>
  createLimiter({ redis, window: '1m', limit: 5, ...extra } as LimiterOptions);

describe('options', () => {
  it('takes durations by the toolkit rule: a number is seconds, strings carry a unit', () => {
    expect(createLimiter({ window: 1.5, limit: 1 }).windowMs).toBe(1500);
    expect(createLimiter({ window: '500ms', limit: 1 }).windowMs).toBe(500);
    expect(createLimiter({ window: '15m', limit: 1 }).windowMs).toBe(900_000);
    expect(createLimiter({ window: '1d', limit: 1 }).windowMs).toBe(86_400_000);
    for (const bad of ['15 minutes', '', '-1s', 0, -5, Number.NaN, '1w', null]) {
      expect(attempt({ window: bad })).toThrow(RateLimitConfigError);
    }
    expect(attempt({ commandTimeout: 'soon' })).toThrow(/commandTimeout/);
  });

  it('names the bad field and the expected form', () => {
    expect(attempt({ limit: 0 })).toThrow(/limit must be a positive integer \(got 0\)/);
    expect(attempt({ limit: 2.5 })).toThrow(/limit/);
    expect(attempt({ window: '15 minutes' })).toThrow(/window must be/);
    expect(attempt({ algorithm: 'token-bucket' })).toThrow(
      /algorithm must be one of 'fixed-window', 'sliding-window'/,
    );
    expect(attempt({ onRedisError: 'fail' })).toThrow(
      /onRedisError must be one of 'memory', 'allow', 'deny'/,
    );
    expect(attempt({ prefix: 'app{1}:' })).toThrow(/prefix/);
    expect(attempt({ redis: {} })).toThrow(/redis must be a RedisConnection/);
    expect(attempt({ maxMemoryEntries: -1 })).toThrow(/maxMemoryEntries/);
    let caught: unknown;
    try {
      attempt({ limit: -1 })();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RateLimitConfigError);
    expect(caught).toMatchObject({ code: 'E_RATELIMIT_CONFIG', field: 'limit' });
    expect(RateLimitConfigError.code).toBe('E_RATELIMIT_CONFIG');
    expect(() =>
      createRateLimiter({ redis, window: '1m', limit: 5, standardHeaders: 'draft-6' as 'draft-7' }),
    ).toThrow(/standardHeaders/);
    expect(() =>
      createRateLimiter({ redis, window: '1m', limit: 5, keyBy: 'user' as 'ip' }),
    ).toThrow(/keyBy/);
  });

  it('refuses unknown options, naming the nearest one (old names are gone)', () => {
    expect(attempt({ limt: 5 })).toThrow(/unknown option `limt` \(did you mean `limit`\?\)/);
    expect(attempt({ memoryMaxKeys: 10 })).toThrow(/unknown option `memoryMaxKeys`/);
    expect(attempt({ commandTimeoutMs: 100 })).toThrow(
      /unknown option `commandTimeoutMs` \(did you mean `commandTimeout`\?\)/,
    );
    expect(attempt({ retryRedisAfterMs: 100 })).toThrow(/unknown option `retryRedisAfterMs`/);
    // an HTTP option is refused by createLimiter, accepted by createRateLimiter
    expect(attempt({ skipSuccessfulRequests: true })).toThrow(/unknown option/);
    expect(() =>
      createRateLimiter({
        redis,
        window: '1m',
        limit: 5,
        skipFailedRequest: true,
      } as RateLimiterOptions),
    ).toThrow(/did you mean `skipFailedRequests`/);
    let caught: unknown;
    try {
      attempt({ windw: '1m' })();
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'E_RATELIMIT_CONFIG', field: 'windw' });
  });

  it('exports one error map, every class a ToolkitError with a static code', () => {
    expect(Object.keys(errors).sort()).toEqual([
      'RateLimitConfigError',
      'RateLimitCostError',
      'RateLimitUnavailableError',
      'RateLimitedError',
    ]);
    for (const E of Object.values(errors)) expect(E.code).toMatch(/^E_RATELIMIT_[A-Z]+$/);
  });

  it('keeps each script next to its SHA1', () => {
    for (const s of [fixedWindowConsume, slidingWindowConsume]) {
      expect(s.sha).toBe(createHash('sha1').update(s.source).digest('hex'));
    }
  });
});

describe('memory-only (no redis)', () => {
  it('limits in this process, logs one info line and no warning', async () => {
    const logger = captureLogger();
    const limiter = createLimiter({ window: '1m', limit: 2, name: 'solo', logger });
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('k'));
    expect(decisions.map((d) => [d.allowed, d.source])).toEqual([
      [true, 'memory'],
      [true, 'memory'],
      [false, 'memory'],
    ]);
    await limiter.refund('k');
    expect((await limiter.peek('k')).used).toBe(1);
    await limiter.reset('k');
    expect((await limiter.peek('k')).used).toBe(0);
    expect(limiter.stats()).toMatchObject({
      allow: 2,
      block: 1,
      fallback: 0,
      error: 0,
      redis: 'absent',
    });
    expect(logger.lines('info')).toHaveLength(1);
    expect(logger.lines('info')[0]?.msg).toMatch(/memory-only/);
    expect([...logger.lines('warn'), ...logger.lines('error')]).toHaveLength(0);
  });

  it('a lone surrogate in a key does not throw and gets its own budget', async () => {
    const limiter = createLimiter({ window: '1m', limit: 1 });
    expect(() => limiter.keyFor('\uD800')).not.toThrow();
    expect(limiter.keyFor('\uD800')).not.toBe(limiter.keyFor('\uDC00'));
    expect((await limiter.consume('\uD800')).allowed).toBe(true);
    expect((await limiter.consume('\uDC00')).allowed).toBe(true);
    expect((await limiter.consume('\uD800')).allowed).toBe(false);
  });
});

describe('types', () => {
  it('types the factories and the decision', () => {
    expectTypeOf(createLimiter).parameter(0).toEqualTypeOf<LimiterOptions>();
    expectTypeOf(createLimiter).returns.toEqualTypeOf<Limiter>();
    expectTypeOf(createRateLimiter).parameter(0).toEqualTypeOf<RateLimiterOptions>();
    expectTypeOf(createRateLimiter).returns.toEqualTypeOf<RateLimitMiddleware>();
    expectTypeOf<LimiterOptions>()
      .toHaveProperty('onRedisError')
      .toEqualTypeOf<'memory' | 'allow' | 'deny' | undefined>();
    expectTypeOf<LimiterOptions>()
      .toHaveProperty('maxMemoryEntries')
      .toEqualTypeOf<number | undefined>();
    expectTypeOf<RateLimitDecision>().toHaveProperty('allowed').toEqualTypeOf<boolean>();
    expectTypeOf<RateLimitDecision>()
      .toHaveProperty('source')
      .toEqualTypeOf<'redis' | 'memory' | 'policy'>();
    expectTypeOf<LimiterStats>().toHaveProperty('block').toEqualTypeOf<number>();
    expectTypeOf<LimiterStats>().toHaveProperty('redis').toEqualTypeOf<'up' | 'down' | 'absent'>();
    expectTypeOf(
      createLimiter({ window: 1, limit: 1 }).consume,
    ).returns.resolves.toEqualTypeOf<RateLimitDecision>();
    // compile-time only (never called)
    const wrong = () => [
      // @ts-expect-error window is required
      createLimiter({ limit: 1 }),
      // @ts-expect-error old option names are gone
      createLimiter({ window: 1, limit: 1, memoryMaxKeys: 5 }),
    ];
    expectTypeOf(wrong).toBeFunction();
  });
});

describe('GCRA and combineLimits options', () => {
  it('burst: GCRA only, a positive integer; default name carries the algorithm', () => {
    expect(createLimiter({ window: 60, limit: 10, algorithm: 'gcra' }).name).toBe('gcra-10-60000');
    expect(createLimiter({ window: 60, limit: 10, algorithm: 'gcra', burst: 3 }).name).toBe(
      'gcra-10-60000-b3',
    );
    expect(() => createLimiter({ window: 60, limit: 10, burst: 3 })).toThrow(
      expect.objectContaining({ field: 'burst', message: expect.stringMatching(/'gcra' only/) }),
    );
    expect(() => createLimiter({ window: 60, limit: 10, algorithm: 'gcra', burst: 0 })).toThrow(
      expect.objectContaining({ field: 'burst' }),
    );
    expect(() => createLimiter({ window: 60, limit: 10, burts: 3 } as never)).toThrow(/burst/);
  });

  it('types combineLimits', () => {
    expectTypeOf(combineLimits).parameter(0).toEqualTypeOf<readonly RateLimitMiddleware[]>();
    expectTypeOf(combineLimits).returns.toEqualTypeOf<CombinedRateLimitMiddleware>();
    expectTypeOf<CombinedRateLimitMiddleware>()
      .toHaveProperty('limiters')
      .toEqualTypeOf<readonly Limiter[]>();
    expectTypeOf<LimiterOptions>().toHaveProperty('burst').toEqualTypeOf<number | undefined>();
  });
});
