import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createLimiter,
  createRateLimiter,
  fixedWindowConsume,
  parseDuration,
  RateLimitConfigError,
  type RateLimitDecision,
  slidingWindowConsume,
} from '../src/index.js';

// No server needed: validation happens before any command; this client never connects.
const redis = new Redis({ lazyConnect: true, port: 1, enableOfflineQueue: false });

describe('options', () => {
  it('parses durations: a number is seconds, strings carry a unit (the toolkit rule)', () => {
    expect(parseDuration(1.5, 'window')).toBe(1500);
    expect(parseDuration('500ms', 'window')).toBe(500);
    expect(parseDuration('30s', 'window')).toBe(30_000);
    expect(parseDuration('15m', 'window')).toBe(900_000);
    expect(parseDuration('1h', 'window')).toBe(3_600_000);
    expect(parseDuration('1.5 h', 'window')).toBe(5_400_000);
    expect(parseDuration('1d', 'window')).toBe(86_400_000);
    for (const bad of ['15 minutes', '', '-1s', 0, -5, Number.NaN, '1w', null]) {
      expect(() => parseDuration(bad, 'window')).toThrow(RateLimitConfigError);
    }
  });

  it('names the bad field and the expected form', () => {
    const attempt = (extra: Record<string, unknown>) => () =>
      createLimiter({ redis, window: '1m', limit: 5, ...extra } as Parameters<
        typeof createLimiter
      >[0]);
    expect(attempt({ limit: 0 })).toThrow(/`limit` must be a positive integer \(got 0\)/);
    expect(attempt({ limit: 2.5 })).toThrow(/`limit`/);
    expect(attempt({ window: '15 minutes' })).toThrow(/`window` must be .*'15m'/);
    expect(attempt({ algorithm: 'token-bucket' })).toThrow(
      /`algorithm` must be one of 'fixed-window', 'sliding-window'/,
    );
    expect(attempt({ onRedisError: 'ignore' })).toThrow(/`onRedisError`/);
    expect(attempt({ prefix: 'app{1}:' })).toThrow(/`prefix`/);
    expect(attempt({ redis: {} })).toThrow(/`redis` must be an ioredis client/);
    expect(attempt({ commandTimeoutMs: -1 })).toThrow(/`commandTimeoutMs`/);
    try {
      attempt({ limit: -1 })();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_RL_INVALID_OPTION', field: 'limit' });
    }
    expect(() =>
      createRateLimiter({ redis, window: '1m', limit: 5, standardHeaders: 'draft-6' as 'draft-7' }),
    ).toThrow(/`standardHeaders`/);
    expect(() =>
      createRateLimiter({ redis, window: '1m', limit: 5, keyBy: 'user' as 'ip' }),
    ).toThrow(/`keyBy`/);
  });

  it('keeps each script next to its SHA1', () => {
    for (const s of [fixedWindowConsume, slidingWindowConsume]) {
      expect(s.sha).toBe(createHash('sha1').update(s.source).digest('hex'));
    }
  });

  it('types the decision', () => {
    expectTypeOf<RateLimitDecision>().toHaveProperty('allowed').toEqualTypeOf<boolean>();
    expectTypeOf<RateLimitDecision>().toHaveProperty('retryAfterMs').toEqualTypeOf<number>();
    expectTypeOf(createLimiter).parameter(0).toHaveProperty('window');
  });
});
