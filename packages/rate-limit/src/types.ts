import type {
  Duration,
  SharedOptions,
  ToolkitCounters,
  ToolkitListener,
} from '@redis-toolkit/connection';

export type Algorithm = 'fixed-window' | 'sliding-window' | 'gcra';

/** What decides while Redis is unavailable (see README, "When Redis is down"). */
export type RedisErrorPolicy = 'memory' | 'allow' | 'deny';

/** Options of {@link createLimiter}: the shared options plus the limiter's own. */
export interface LimiterOptions extends SharedOptions<RedisErrorPolicy> {
  /** Limiter name, part of every key. Default: derived from algorithm, limit and window. */
  name?: string;
  /** Window length: a number is seconds; or `'500ms'`, `'15m'`, `'1h'`, ... */
  window: Duration;
  /** Units admitted per window (positive integer). */
  limit: number;
  /** Default `'fixed-window'`. `'gcra'` is the recommended non-fixed algorithm (see README, "Algorithms"). */
  algorithm?: Algorithm;
  /**
   * GCRA only: units a client may send at once (the bucket size). Default `limit`. The sustained
   * rate stays `limit` per `window` whatever the burst.
   */
  burst?: number;
  /**
   * Clock for the sliding window and GCRA, ms since epoch. Default: the Redis server's TIME, so processes
   * with skewed clocks agree. Only set it in tests or when host clocks are trusted.
   */
  clock?: () => number;
}

/** Where a decision came from. `policy` = Redis unavailable and `onRedisError` is `'allow'` or `'deny'`. */
export type DecisionSource = 'redis' | 'memory' | 'policy';

export interface RateLimitDecision {
  allowed: boolean;
  /** Units left in the current window after this decision (GCRA: units admissible right now). */
  remaining: number;
  /**
   * Epoch ms: fixed window — when it resets; sliding — when the oldest admitted unit leaves;
   * GCRA — when the bucket is full again (`remaining` back to `burst`).
   */
  resetAt: number;
  /** 0 when allowed; otherwise ms until the same cost would be admitted. */
  retryAfterMs: number;
  limit: number;
  /** Units counted in the window (when rejected: counted + the rejected cost). */
  used: number;
  source: DecisionSource;
}

/** The shared counters (`allow`, `block`, `error`, `fallback`, ...) and the Redis state. */
export type LimiterStats = ToolkitCounters & { redis: 'up' | 'down' | 'absent' };

/** Subscribe to this instance's events (the toolkit-wide shape). */
export interface LimiterEvents {
  on(listener: ToolkitListener): () => void;
}
