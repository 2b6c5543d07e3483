import type { Logger } from '@redis-toolkit/connection';
import { parseDuration } from './duration.js';
import { RateLimitConfigError } from './errors.js';
import type { Algorithm, LimiterOptions, RedisErrorPolicy } from './types.js';

const noop = (): void => {};
const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export interface ResolvedLimiterOptions {
  redis: LimiterOptions['redis'];
  prefix: string;
  name: string;
  windowMs: number;
  limit: number;
  algorithm: Algorithm;
  onRedisError: RedisErrorPolicy;
  commandTimeoutMs: number;
  retryRedisAfterMs: number;
  memoryMaxKeys: number;
  clock: (() => number) | undefined;
  logger: NonNullable<LimiterOptions['logger']>;
}

const positiveInt = (value: unknown, field: string, fallback?: number): number => {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RateLimitConfigError(field, 'a positive integer', value);
};

function oneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new RateLimitConfigError(field, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
}

/** Validates options once, at creation, and fills defaults. Errors name the field. */
export function resolveLimiterOptions(options: LimiterOptions): ResolvedLimiterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new RateLimitConfigError('options', 'an object', options);
  }
  const redis = options.redis as unknown;
  if (
    typeof redis !== 'object' ||
    redis === null ||
    typeof (redis as { evalsha?: unknown }).evalsha !== 'function'
  ) {
    throw new RateLimitConfigError('redis', 'an ioredis client (Redis or Cluster)', redis);
  }
  const windowMs = parseDuration(options.window, 'window');
  const limit = positiveInt(options.limit, 'limit');
  const algorithm = oneOf(
    options.algorithm,
    'algorithm',
    ['fixed-window', 'sliding-window'],
    'fixed-window',
  );
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw new RateLimitConfigError('prefix', 'a string', prefix);
  const name = options.name ?? `${algorithm === 'fixed-window' ? 'fw' : 'sw'}-${limit}-${windowMs}`;
  if (typeof name !== 'string') throw new RateLimitConfigError('name', 'a string', name);
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new RateLimitConfigError('clock', 'a function returning epoch ms', options.clock);
  }
  return {
    redis: options.redis,
    prefix,
    name,
    windowMs,
    limit,
    algorithm,
    onRedisError: oneOf(
      options.onRedisError,
      'onRedisError',
      ['memory', 'allow', 'deny'],
      'memory',
    ),
    commandTimeoutMs: positiveInt(options.commandTimeoutMs, 'commandTimeoutMs', 500),
    retryRedisAfterMs: positiveInt(options.retryRedisAfterMs, 'retryRedisAfterMs', 1000),
    memoryMaxKeys: positiveInt(options.memoryMaxKeys, 'memoryMaxKeys', 10_000),
    clock: options.clock,
    logger: options.logger ?? silentLogger,
  };
}
