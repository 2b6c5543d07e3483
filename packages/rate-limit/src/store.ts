import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { RateLimitConfigError, RateLimitUnavailableError } from './errors.js';
import { type Limiter, LimiterImpl } from './limiter.js';

/**
 * express-rate-limit `Store` over a {@link Limiter}: both algorithms, the shared runtime and the
 * outage policy. `increment` counts every hit, refused ones included (the Store contract:
 * `totalHits` includes this hit, and `decrement` may follow for any hit, e.g. a 429 under
 * `skipFailedRequests`). With `onRedisError: 'allow' | 'deny'` an outage surfaces as
 * `RateLimitUnavailableError`, which `createRateLimiter` turns into `next()` or a 503.
 */
export class LimiterStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private readonly impl: LimiterImpl;
  /** Whether a refused hit may be decremented later (it must then be counted to be undone). */
  private countRefused = true;
  /**
   * ms until a refused key fits again, for the 429's Retry-After: express-rate-limit passes only
   * `resetTime` on, which for GCRA (bucket full again) is later than the next admissible unit.
   */
  private readonly retryAfter = new Map<string, number>();

  constructor(readonly limiter: Limiter) {
    if (!(limiter instanceof LimiterImpl)) {
      throw new RateLimitConfigError(
        'limiter',
        'LimiterStore needs a limiter from createLimiter()',
      );
    }
    this.impl = limiter;
    this.prefix = limiter.keyFor('');
  }

  init(options: Options): void {
    if (options.windowMs !== this.limiter.windowMs) {
      throw new RateLimitConfigError(
        'windowMs',
        `the store (window ${this.limiter.windowMs} ms) and the middleware (windowMs ${options.windowMs}) disagree`,
      );
    }
    // With express-rate-limit's default requestWasSuccessful (status < 400) a 429 is a failure,
    // so only skipFailedRequests decrements it. Counting refusals otherwise would make a later
    // decrement (skipSuccessfulRequests) undo a refusal instead of the successful request.
    this.countRefused = options.skipFailedRequests;
  }

  increment(key: string): Promise<ClientRateLimitInfo> {
    // one .then on the limiter's promise (no async wrapper: this is every request's path)
    return this.impl.hit(key, this.countRefused).then((decision) => {
      if (decision.source === 'policy') {
        throw new RateLimitUnavailableError(
          `rate-limit: Redis unavailable, limiter "${this.limiter.name}" applies onRedisError '${this.limiter.onRedisError}'`,
          decision.retryAfterMs,
        );
      }
      if (!decision.allowed) {
        if (this.retryAfter.size >= 10_000) this.retryAfter.clear();
        this.retryAfter.set(key, decision.retryAfterMs);
      }
      return { totalHits: decision.used, resetTime: new Date(decision.resetAt) };
    });
  }

  /** The refused decision's wait for `key` (read once), if this store refused it. */
  takeRetryAfter(key: string): number | undefined {
    const ms = this.retryAfter.get(key);
    this.retryAfter.delete(key);
    return ms;
  }

  async decrement(key: string): Promise<void> {
    await this.impl.unhit(key);
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
