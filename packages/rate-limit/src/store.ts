import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { RedisUnavailableError } from './errors.js';
import type { Limiter } from './limiter.js';

/**
 * express-rate-limit `Store` over a {@link Limiter}: both algorithms, Cluster-safe scripts,
 * the timeout and the outage policy. With `onRedisError: 'allow' | 'deny'` an outage surfaces as
 * `RedisUnavailableError`, which `createRateLimiter` turns into `next()` or a 503/429.
 */
export class LimiterStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;

  constructor(readonly limiter: Limiter) {
    this.prefix = limiter.keyFor('');
  }

  init(options: Options): void {
    if (options.windowMs !== this.limiter.windowMs) {
      throw new Error('rate-limit: the store and the middleware disagree on windowMs');
    }
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const decision = await this.limiter.consume(key, 1);
    if (decision.source === 'policy') throw new RedisUnavailableError(decision.retryAfterMs);
    return { totalHits: decision.used, resetTime: new Date(decision.resetAt) };
  }

  async decrement(key: string): Promise<void> {
    await this.limiter.refund(key, 1);
  }

  async resetKey(key: string): Promise<void> {
    await this.limiter.reset(key);
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const decision = await this.limiter.peek(key);
    if (decision.source === 'policy') return undefined;
    return { totalHits: decision.used, resetTime: new Date(decision.resetAt) };
  }
}
