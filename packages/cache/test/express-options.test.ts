import type { RequestHandler } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CacheResponseHandler,
  type CacheResponseOptions,
  cacheResponse,
  type InvalidateOptions,
  invalidate,
  invalidateResponses,
  normalizedPathAndQuery,
} from '../src/express/index.js';
import { type Cache, createCache } from '../src/index.js';

// Memory-only cache: the option checks run when the middleware is built, before any request.
describe('express helpers: options', () => {
  it('cacheResponse and invalidate refuse an unknown option, naming the nearest known one', async () => {
    const cache = createCache({ maxMemoryEntries: 10 });
    expect(() => cacheResponse({ cache, ttl: 60, tgas: ['x'] } as never)).toThrow(
      expect.objectContaining({
        code: 'E_CACHE_CONFIG',
        field: 'tgas',
        message: expect.stringMatching(/unknown option `tgas` \(did you mean `tags`\?\)/),
      }),
    );
    expect(() => invalidate({ cache, path: ['/x'] } as never)).toThrow(
      expect.objectContaining({
        code: 'E_CACHE_CONFIG',
        field: 'path',
        message: expect.stringMatching(/did you mean `paths`\?/),
      }),
    );
    // the known ones are accepted
    expect(typeof cacheResponse({ cache, ttl: 60, grace: 5, tags: ['x'] })).toBe('function');
    expect(typeof invalidate({ cache, tags: ['x'], paths: ['/x'] })).toBe('function');
    await cache.close();
  });

  it('a plain path keys as URL parsing would (the fast path changes no key)', () => {
    const parsed = (raw: string) => {
      const url = new URL(raw, 'http://x');
      const params = [...url.searchParams.entries()].sort(([a, av], [b, bv]) =>
        a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
      );
      return { path: url.pathname, query: new URLSearchParams(params).toString() };
    };
    for (const raw of [
      '/dental/staff',
      '/',
      '/a//b',
      '/a/b/',
      '/x_y-z~1/42',
      '/a/./b',
      '/a/../b',
      '/a%2Fb',
      '/é',
      '/a b',
      '/a?',
      '/a?b=2&a=1',
      '/a#frag',
      '/a;b',
    ]) {
      const req = { originalUrl: raw, url: raw } as Parameters<typeof normalizedPathAndQuery>[0];
      expect(normalizedPathAndQuery(req), raw).toEqual(parsed(raw));
    }
  });

  it('types', () => {
    expectTypeOf(cacheResponse).parameter(0).toEqualTypeOf<CacheResponseOptions>();
    expectTypeOf(cacheResponse).returns.toEqualTypeOf<CacheResponseHandler>();
    expectTypeOf(cacheResponse).returns.toMatchTypeOf<RequestHandler>();
    expectTypeOf<CacheResponseHandler['prefetch']>().toEqualTypeOf<RequestHandler>();
    expectTypeOf<CacheResponseOptions['cache']>().toEqualTypeOf<Cache>();
    expectTypeOf(invalidate).parameter(0).toEqualTypeOf<InvalidateOptions>();
    expectTypeOf(invalidate).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(invalidateResponses).returns.toEqualTypeOf<Promise<number>>();
  });
});
