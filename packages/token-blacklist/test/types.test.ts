import { createFileOutbox, type Duration, type Outbox } from '@redis-toolkit/connection';
import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BlacklistUnavailableError,
  type CheckResult,
  createTokenBlacklist,
  errors,
  type RevokeResult,
  type TokenBlacklist,
  type TokenBlacklistOptions,
  type TokenBlacklistStats,
  type TokenInputError,
} from '../src/index.js';

describe('public types', () => {
  it('createTokenBlacklist', () => {
    expectTypeOf(createTokenBlacklist)
      .parameter(0)
      .toEqualTypeOf<TokenBlacklistOptions | undefined>();
    expectTypeOf(createTokenBlacklist).returns.toEqualTypeOf<TokenBlacklist>();
    expectTypeOf<TokenBlacklistOptions['onRedisError']>().toEqualTypeOf<
      'memory' | 'deny' | undefined
    >();
    expectTypeOf<TokenBlacklistOptions['clockTolerance']>().toEqualTypeOf<Duration | undefined>();
    expectTypeOf<TokenBlacklistOptions['maxTokenLifetime']>().toEqualTypeOf<Duration | undefined>();
    expectTypeOf<Redis>().toMatchTypeOf<NonNullable<TokenBlacklistOptions['redis']>>();
    expectTypeOf<Cluster>().toMatchTypeOf<NonNullable<TokenBlacklistOptions['redis']>>();
    expectTypeOf(createFileOutbox({ directory: '/tmp/x' })).toMatchTypeOf<
      NonNullable<TokenBlacklistOptions['outbox']>
    >();
    expectTypeOf<Outbox<{ any: 'payload' }>>().toMatchTypeOf<
      NonNullable<TokenBlacklistOptions['outbox']>
    >();
    // compile-time only: each of these is also refused at runtime (see blacklist.test.ts)
    const compileOnly = () => {
      // @ts-expect-error removed in 0.x: maxMemoryEntries replaces it
      createTokenBlacklist({ maxLocalEntries: 5 });
      // @ts-expect-error durations carry units or are seconds; *Ms names are gone
      createTokenBlacklist({ commandTimeoutMs: 300 });
      // @ts-expect-error 'local' was renamed 'memory'
      createTokenBlacklist({ onRedisError: 'local' });
    };
    void compileOnly;
  });

  it('methods and results', () => {
    const b = createTokenBlacklist();
    expectTypeOf(b.check).returns.resolves.toEqualTypeOf<CheckResult>();
    expectTypeOf(b.revoke).returns.resolves.toEqualTypeOf<RevokeResult>();
    expectTypeOf(b.canIssue).returns.toEqualTypeOf<boolean>();
    expectTypeOf(b.assertCanIssue).returns.toEqualTypeOf<void>();
    expectTypeOf(b.stats()).toMatchTypeOf<TokenBlacklistStats>();
    expectTypeOf(b.stats().redis).toEqualTypeOf<'up' | 'down' | 'absent'>();
    expectTypeOf(b.stats().hit).toEqualTypeOf<number>();
    expectTypeOf<CheckResult['source']>().toEqualTypeOf<
      'local' | 'mirror' | 'redis' | 'fallback'
    >();
    void b.close();
  });

  it('errors', () => {
    expectTypeOf(errors.BlacklistUnavailableError).toEqualTypeOf<
      typeof BlacklistUnavailableError
    >();
    expectTypeOf<BlacklistUnavailableError['retryAfterSeconds']>().toEqualTypeOf<number>();
    expectTypeOf<TokenInputError['reason']>().toMatchTypeOf<string>();
  });
});
