import type { Logger, RedisClient } from '@redis-toolkit/connection';
import type { Duration } from './duration.js';

export type Algorithm = 'fixed-window' | 'sliding-window';

/** What to do when Redis does not answer within `commandTimeoutMs`. */
export type RedisErrorPolicy = 'memory' | 'allow' | 'deny';

/** Options of {@link createLimiter} (and the shared part of `createRateLimiter`). */
export interface LimiterOptions {
  /** ioredis client: standalone, Sentinel-managed or Cluster. */
  redis: RedisClient;
  /** Application prefix, e.g. `'dental:'`. Default `''`. */
  prefix?: string;
  /** Limiter name, part of every key. Default: derived from algorithm, limit and window. */
  name?: string;
  /** Window length: ms or `'15m'`, `'1h'`, ... */
  window: Duration;
  /** Units admitted per window (positive integer). */
  limit: number;
  /** Default `'fixed-window'`. */
  algorithm?: Algorithm;
  /** Default `'memory'`. */
  onRedisError?: RedisErrorPolicy;
  /** Longest a decision waits for Redis before the policy applies. Default 500 ms. */
  commandTimeoutMs?: number;
  /** After a Redis failure, decisions skip Redis (policy applies at once) for this long. Default 1000 ms. */
  retryRedisAfterMs?: number;
  /** Most keys the in-memory fallback holds per limiter. Default 10 000. */
  memoryMaxKeys?: number;
  /**
   * Clock for the sliding window, ms since epoch. Default: the Redis server's TIME, so processes
   * with skewed clocks agree. Only set it in tests or when host clocks are trusted.
   */
  clock?: () => number;
  logger?: Logger;
}

/** Where a decision came from. `policy` = Redis failed and `onRedisError` is `'allow'` or `'deny'`. */
export type DecisionSource = 'redis' | 'memory' | 'policy';

export interface RateLimitDecision {
  allowed: boolean;
  /** Units left in the current window after this decision. */
  remaining: number;
  /** Epoch ms: fixed window — when it resets; sliding — when the oldest admitted unit leaves. */
  resetAt: number;
  /** 0 when allowed; otherwise ms until the same cost would be admitted. */
  retryAfterMs: number;
  limit: number;
  /** Units counted in the window (when rejected: counted + the rejected cost). */
  used: number;
  source: DecisionSource;
}

export interface LimiterStats {
  allowed: number;
  blocked: number;
  /** Decisions made without Redis (memory fallback or allow/deny policy). */
  fallbacks: number;
  /** Redis calls that failed or timed out. */
  redisErrors: number;
}

export interface LimiterEvents {
  allowed: [{ key: string; decision: RateLimitDecision }];
  blocked: [{ key: string; decision: RateLimitDecision }];
  fallback: [{ key: string; policy: RedisErrorPolicy }];
  redisError: [{ error: unknown }];
  /** Redis answered again after failures. */
  recovered: [];
}
