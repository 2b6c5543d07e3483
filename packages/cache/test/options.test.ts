import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CacheConfigError,
  CacheDurationError,
  createCache,
  defineKeys,
  encodeSegment,
  parseDuration,
} from '../src/index.js';

describe('durations: one rule everywhere', () => {
  it('numbers are seconds; strings take ms/s/m/h/d', () => {
    expect(parseDuration(5, 'ttl')).toBe(5000);
    expect(parseDuration(0.5, 'ttl')).toBe(500);
    expect(parseDuration('300', 'ttl')).toBe(300_000);
    expect(parseDuration('500ms', 'ttl')).toBe(500);
    expect(parseDuration('5s', 'ttl')).toBe(5000);
    expect(parseDuration('5m', 'ttl')).toBe(300_000);
    expect(parseDuration('1h', 'ttl')).toBe(3_600_000);
    expect(parseDuration('1d', 'ttl')).toBe(86_400_000);
  });
  it('anything else is a clear error naming the field', () => {
    for (const bad of ['5 minutes', '-1', -1, Number.NaN, '1w', '', null, {}]) {
      const error = (() => {
        try {
          parseDuration(bad, 'defaultTtl');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(CacheDurationError);
      expect((error as CacheDurationError).field).toBe('defaultTtl');
      expect((error as Error).message).toMatch(/defaultTtl: expected seconds/);
    }
  });
});

describe('options', () => {
  it('rejects a cache with neither tier, bad l1 sizes and bad durations', () => {
    expect(() => createCache({ prefix: 'x:' })).toThrow(CacheConfigError);
    expect(() => createCache({ l1: { maxEntries: 0 } })).toThrow(/l1.maxEntries/);
    expect(() => createCache({ l1: { maxEntries: 10 }, defaultTtl: '1 hour' as '1h' })).toThrow(
      /defaultTtl/,
    );
    expect(() => createCache({ l1: { maxEntries: 10, maxBytes: -5 } })).toThrow(/l1.maxBytes/);
  });
  it('bounds L1 by bytes', async () => {
    const cache = createCache({ l1: { maxEntries: 1000, maxBytes: 5_000 } });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'x'.repeat(500));
    const { entries, bytes } = cache.stats().l1;
    expect(bytes).toBeLessThanOrEqual(5_000);
    expect(entries).toBeLessThan(50);
  });
});

describe('keys', () => {
  it('encodeSegment leaves ordinary ids alone and is injective on hostile ones', () => {
    expect(encodeSegment('abc-123_x.y')).toBe('abc-123_x.y');
    expect(encodeSegment('a:b')).toBe('a%3Ab');
    expect(encodeSegment('%3A')).toBe('%253A');
    expect(encodeSegment('é')).toBe('é');
  });
  it('defineKeys is typed', () => {
    const keys = defineKeys('school', { student: (id: number) => ['student', id] });
    expectTypeOf(keys.student).parameters.toEqualTypeOf<[id: number]>();
    expectTypeOf(keys.student(1)).toEqualTypeOf<string>();
    expect(keys.student(1)).toBe('school:student:1');
    expect(keys.$pattern('student')).toBe('school:student:*');
  });
});
