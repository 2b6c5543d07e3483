import type { RequestHandler } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CacheResponseHandler,
  type CacheResponseOptions,
  cacheResponse,
  type InvalidateOptions,
  invalidate,
  invalidateResponses,
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
