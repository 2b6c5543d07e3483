import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type createRedis,
  loadRedisConfig,
  type RedisClient,
  type RedisConfig,
  type RedisConnection,
  type RedisHealth,
  type RedisStatus,
} from '../src/index.js';

describe('public types', () => {
  it('RedisConfig is a union discriminated on enabled and mode', () => {
    const config = loadRedisConfig({});
    expectTypeOf(config).toEqualTypeOf<RedisConfig>();
    if (config.enabled && config.mode === 'cluster') {
      expectTypeOf(config.nodes).toEqualTypeOf<{ host: string; port: number }[]>();
    }
    if (config.enabled && config.mode === 'standalone') expectTypeOf(config.db).toBeNumber();
    if (!config.enabled) expectTypeOf(config).toEqualTypeOf<{ enabled: false }>();
  });

  it('the connection exposes an ioredis client, typed status events and health', () => {
    expectTypeOf<RedisConnection['client']>().toEqualTypeOf<RedisClient | null>();
    expectTypeOf<RedisClient>().toEqualTypeOf<Redis | Cluster>();
    expectTypeOf<RedisConnection['status']>().toEqualTypeOf<RedisStatus>();
    expectTypeOf<RedisHealth['error']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Parameters<RedisConnection['on']>[1]>().parameters.toEqualTypeOf<
      [RedisStatus, RedisStatus, (Error | undefined)?]
    >();
    // A RedisConfig (from loadRedisConfig) is accepted where createRedis takes its config.
    const accepts = (config: RedisConfig): Parameters<typeof createRedis>[0] => config;
    expectTypeOf(accepts).returns.not.toBeNever();
  });
});
