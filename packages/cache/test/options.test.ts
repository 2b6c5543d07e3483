import type { Redis } from 'ioredis';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Cache,
  CacheConfigError,
  type CacheOptions,
  type CacheSource,
  type CacheStats,
  createCache,
  defineKeys,
  encodeKeySegment,
  errors,
  type GetMeta,
  type WithMeta,
} from '../src/index.js';

const configError = (fn: () => unknown): CacheConfigError => {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CacheConfigError);
  return caught as CacheConfigError;
};

describe('options', () => {
  it('durations: numbers are seconds, strings carry a unit; anything else names the field', async () => {
    const cache = createCache({ defaultTtl: '500ms' });
    await cache.set('a', 1);
    expect(await cache.ttl('a')).toBe(1);
    await cache.set('b', 1, { ttl: 90 });
    expect(await cache.ttl('b')).toBe(90);
    await cache.set('c', 1, { ttl: '2m' });
    expect(await cache.ttl('c')).toBe(120);
    for (const bad of ['5 minutes', '-1', -1, Number.NaN, '1w', '', null, {}]) {
      const error = configError(() => createCache({ defaultTtl: bad as '1h' }));
      expect(error.field).toBe('defaultTtl');
      expect(error.code).toBe('E_CACHE_CONFIG');
      expect(error.message).toMatch(/defaultTtl/);
    }
    await expect(cache.set('d', 1, { ttl: 'soon' as '1s' })).rejects.toMatchObject({
      field: 'ttl',
    });
  });

  it('refuses unknown options naming the nearest one (also inside encryption)', () => {
    const typo = configError(() => createCache({ defaultTll: '1m' } as CacheOptions));
    expect(typo.field).toBe('defaultTll');
    expect(typo.message).toMatch(/did you mean `defaultTtl`/);
    const encryption = configError(() =>
      createCache({ encryption: { key: 'x' } } as unknown as CacheOptions),
    );
    expect(encryption.field).toBe('encryption.key');
    expect(encryption.message).toMatch(/did you mean `encryption\.keys`/);
    const nested = configError(() => createCache({ l1: { mdoe: 'tier' } } as CacheOptions));
    expect(nested.message).toMatch(/did you mean `l1\.mode`/);
    expect(configError(() => createCache({ lock: { tll: 1 } } as CacheOptions)).field).toBe(
      'lock.tll',
    );
  });

  it('removed names say what replaced them', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ l1: { maxEntries: 10 } }, 'l1.maxEntries', /maxMemoryEntries/],
      [{ l1: { maxBytes: 10 } }, 'l1.maxBytes', /maxMemoryBytes/],
      [{ commandTimeoutMs: 100 }, 'commandTimeoutMs', /commandTimeout/],
      [{ circuitBreaker: false }, 'circuitBreaker', /runtime/],
    ];
    for (const [input, field, message] of cases) {
      const error = configError(() => createCache(input as CacheOptions));
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    }
  });

  it('validates bounds, policy and modes', () => {
    expect(configError(() => createCache({ maxMemoryEntries: 0 })).field).toBe('maxMemoryEntries');
    expect(configError(() => createCache({ maxMemoryEntries: -1 })).field).toBe('maxMemoryEntries');
    expect(configError(() => createCache({ maxMemoryBytes: -5 })).field).toBe('maxMemoryBytes');
    expect(configError(() => createCache({ onRedisError: 'allow' as 'memory' })).field).toBe(
      'onRedisError',
    );
    expect(configError(() => createCache({ l1: { copy: 'deep' as 'clone' } })).field).toBe(
      'l1.copy',
    );
    expect(configError(() => createCache({ prefix: '{x}' })).field).toBe('prefix');
    expect(configError(() => createCache({ redis: 'redis://x' as unknown as Redis })).field).toBe(
      'redis',
    );
  });

  it('bounds memory by bytes', async () => {
    const cache = createCache({ maxMemoryEntries: 1000, maxMemoryBytes: 5_000 });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'x'.repeat(500));
    const { entries, bytes } = cache.stats().l1;
    expect(bytes).toBeLessThanOrEqual(5_000);
    expect(entries).toBeLessThan(50);
  });

  it('refuses keys and namespaces in the reserved "#" space', async () => {
    const cache = createCache({});
    await expect(cache.set('#tag:x', 1)).rejects.toMatchObject({ field: 'key' });
    expect(configError(() => cache.namespace('#lock')).field).toBe('namespace');
    await cache.namespace('ok').set('#fine-below-the-top', 1);
  });

  it('every error class has its code on the class and the instance', () => {
    for (const [name, Class] of Object.entries(errors)) {
      expect(Class.code, name).toMatch(/^E_CACHE/);
    }
    expect(new errors.CacheUnavailableError('get').code).toBe('E_CACHE_UNAVAILABLE');
  });
});

describe('keys', () => {
  it('encodeKeySegment leaves ordinary ids alone and is injective on hostile ones', () => {
    expect(encodeKeySegment('abc-123_x.y')).toBe('abc-123_x.y');
    expect(encodeKeySegment('a:b')).toBe('a%3Ab');
    expect(encodeKeySegment('%3A')).toBe('%253A');
    expect(encodeKeySegment('é')).toBe('é');
  });
  it('defineKeys is typed', () => {
    const keys = defineKeys('school', { student: (id: number) => ['student', id] });
    expectTypeOf(keys.student).parameters.toEqualTypeOf<[id: number]>();
    expectTypeOf(keys.student(1)).toEqualTypeOf<string>();
    expect(keys.student(1)).toBe('school:student:1');
    expect(keys.$pattern('student')).toBe('school:student:*');
  });
});

describe('public types', () => {
  it('createCache and its methods', () => {
    expectTypeOf(createCache).parameter(0).toEqualTypeOf<CacheOptions | undefined>();
    expectTypeOf(createCache).returns.toEqualTypeOf<Cache>();
    expectTypeOf<CacheOptions['onRedisError']>().toEqualTypeOf<'memory' | 'deny' | undefined>();
    expectTypeOf<CacheOptions['maxMemoryEntries']>().toEqualTypeOf<number | undefined>();
    const cache = createCache({});
    expectTypeOf(cache.get<number>('k')).resolves.toEqualTypeOf<number | undefined>();
    expectTypeOf(cache.getWithMeta<number>('k')).resolves.toEqualTypeOf<GetMeta<number>>();
    expectTypeOf(cache.getOrSet('k', () => 1)).resolves.toEqualTypeOf<number>();
    expectTypeOf(cache.getOrSetWithMeta('k', async () => 'v')).resolves.toEqualTypeOf<
      WithMeta<string>
    >();
    expectTypeOf<WithMeta<string>['source']>().toEqualTypeOf<CacheSource>();
    expectTypeOf<CacheSource>().toEqualTypeOf<'l1' | 'redis' | 'loader' | 'stale'>();
    expectTypeOf(cache.incr('n')).resolves.toEqualTypeOf<number>();
    expectTypeOf(cache.stats()).toEqualTypeOf<CacheStats>();
    expectTypeOf<CacheStats['redis']>().toEqualTypeOf<'up' | 'down' | 'absent'>();
    expectTypeOf<CacheStats['hit']>().toEqualTypeOf<number>();
    // internals stay internal
    expectTypeOf<keyof Cache>().not.toEqualTypeOf<'core'>();
  });
});
