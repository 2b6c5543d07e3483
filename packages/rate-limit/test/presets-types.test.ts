import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createRateLimiter,
  ipAndUsername,
  type KeyBy,
  normalizeUsername,
  type Preset,
  presets,
  type RateLimiterOptions,
  type RateLimitMiddleware,
} from '../src/index.js';

describe('presets and key helpers', () => {
  it('types: a preset spreads into createRateLimiter, ipAndUsername is a KeyBy', () => {
    expectTypeOf(presets.auth).toMatchTypeOf<Preset>();
    expectTypeOf<Preset>().toEqualTypeOf<Omit<RateLimiterOptions, 'redis'>>();
    expectTypeOf(ipAndUsername).parameters.toEqualTypeOf<
      [fields?: readonly string[], ipv6Subnet?: number]
    >();
    expectTypeOf(ipAndUsername).returns.toEqualTypeOf<KeyBy>();
    expectTypeOf(normalizeUsername).toEqualTypeOf<(value: unknown) => string>();
    // memory-only: no redis needed to build the middleware
    const limiter = createRateLimiter({ ...presets.auth, keyBy: ipAndUsername() });
    expectTypeOf(limiter).toEqualTypeOf<RateLimitMiddleware>();
    expect(typeof limiter).toBe('function');
  });
});
