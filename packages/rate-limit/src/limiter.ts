import { EventEmitter } from 'node:events';
import type { Logger, RedisClient } from '@redis-toolkit/connection';
import type { Backend, RawDecision } from './backend.js';
import { RateLimitCostError, RedisUnavailableError } from './errors.js';
import { makeKeyFn } from './keys.js';
import { MemoryBackend } from './memory-backend.js';
import { type ResolvedLimiterOptions, resolveLimiterOptions } from './options.js';
import { ALL_SCRIPTS, RedisBackend } from './redis-backend.js';
import { withTimeout } from './timeout.js';
import type {
  Algorithm,
  DecisionSource,
  LimiterEvents,
  LimiterOptions,
  LimiterStats,
  RateLimitDecision,
  RedisErrorPolicy,
} from './types.js';

/** A Redis-backed limiter for anything: login attempts, e-mails per user, jobs per tenant. */
export interface Limiter {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly algorithm: Algorithm;
  readonly onRedisError: RedisErrorPolicy;
  /** Counts `cost` units for `key` if they fit; a rejected call counts nothing. */
  consume(key: string, cost?: number): Promise<RateLimitDecision>;
  /** The state a cost-1 `consume` would see, without counting. */
  peek(key: string): Promise<RateLimitDecision>;
  /** Gives back units (e.g. the request succeeded and should not count). Best effort. */
  refund(key: string, cost?: number): Promise<void>;
  /** Forgets `key` everywhere. Throws `RedisUnavailableError` if Redis did not confirm. */
  reset(key: string): Promise<void>;
  /** The full Redis key for `key` (documentation and debugging). */
  keyFor(key: string): string;
  /** Loads the Lua scripts on every master now (otherwise they load on first use). */
  ready(): Promise<void>;
  stats(): LimiterStats;
  readonly events: EventEmitter<LimiterEvents>;
}

class RedisLimiter implements Limiter {
  readonly events = new EventEmitter<LimiterEvents>();
  readonly keyFor: (key: string) => string;
  private readonly redisBackend: RedisBackend;
  private readonly memory: MemoryBackend;
  private readonly log: Logger;
  private readonly counters: LimiterStats = {
    allowed: 0,
    blocked: 0,
    fallbacks: 0,
    redisErrors: 0,
  };
  /** Circuit: while `Date.now() < openUntil` decisions do not wait for Redis. */
  private openUntil = 0;
  private degraded = false;

  constructor(private readonly o: ResolvedLimiterOptions) {
    this.keyFor = makeKeyFn(o.prefix, o.name);
    this.redisBackend = new RedisBackend(o);
    this.memory = new MemoryBackend(o.algorithm, o.windowMs, o.limit, o.memoryMaxKeys, o.clock);
    this.log = o.logger;
  }

  get name() {
    return this.o.name;
  }
  get limit() {
    return this.o.limit;
  }
  get windowMs() {
    return this.o.windowMs;
  }
  get algorithm() {
    return this.o.algorithm;
  }
  get onRedisError() {
    return this.o.onRedisError;
  }

  stats(): LimiterStats {
    return { ...this.counters };
  }

  async ready(): Promise<void> {
    await this.redisBackend.runner.loadEverywhere(ALL_SCRIPTS);
  }

  consume(key: string, cost = 1): Promise<RateLimitDecision> {
    if (!Number.isInteger(cost) || cost < 1) {
      return Promise.reject(
        new RateLimitCostError(`rate-limit: cost must be a positive integer (got ${cost})`),
      );
    }
    if (cost > this.o.limit) {
      return Promise.reject(
        new RateLimitCostError(
          `rate-limit: cost ${cost} can never fit in limit ${this.o.limit} of limiter "${this.o.name}"`,
        ),
      );
    }
    return this.decide(key, (b, k) => b.consume(k, cost), true);
  }

  peek(key: string): Promise<RateLimitDecision> {
    return this.decide(key, (b, k) => b.peek(k), false);
  }

  async refund(key: string, cost = 1): Promise<void> {
    const full = this.keyFor(key);
    if ((!this.degraded || Date.now() >= this.openUntil) && clientConnected(this.o.redis)) {
      try {
        await this.callRedis(() => this.redisBackend.refund(full, cost));
        return;
      } catch (error) {
        this.log.warn(
          { err: error, limiter: this.o.name },
          'rate-limit: refund not recorded in Redis',
        );
      }
    }
    if (this.o.onRedisError === 'memory') await this.memory.refund(full, cost);
  }

  async reset(key: string): Promise<void> {
    const full = this.keyFor(key);
    await this.memory.reset(full);
    try {
      await this.callRedis(() => this.redisBackend.reset(full));
    } catch (error) {
      throw new RedisUnavailableError(this.o.retryRedisAfterMs, error);
    }
  }

  /**
   * The hot path: one Redis call raced with the timeout, then dressed and counted. Written with
   * `.then` rather than async/await to keep the promise hops per decision low (see README, Benchmarks).
   */
  private decide(
    key: string,
    op: (backend: Backend, fullKey: string) => Promise<RawDecision>,
    counts: boolean,
  ): Promise<RateLimitDecision> {
    const full = this.keyFor(key);
    if (Date.now() < this.openUntil) return this.fallback(key, full, op, counts);
    if (!clientConnected(this.o.redis)) {
      // A reconnecting client would only queue the command until the timeout: decide at once.
      this.markDegraded(new Error(`Redis client is ${this.o.redis.status}`));
      return this.fallback(key, full, op, counts);
    }
    let call: Promise<RawDecision>;
    try {
      call = op(this.redisBackend, full);
    } catch (error) {
      call = Promise.reject(error);
    }
    return withTimeout(call, this.o.commandTimeoutMs).then(
      (raw) => {
        if (this.degraded) this.recover();
        return this.record(key, this.dress(raw, 'redis'), counts);
      },
      (error: unknown) => {
        this.noteFailure(error);
        return this.fallback(key, full, op, counts);
      },
    );
  }

  private record(key: string, decision: RateLimitDecision, counts: boolean): RateLimitDecision {
    if (!counts) return decision;
    const event = decision.allowed ? 'allowed' : 'blocked';
    this.counters[event]++;
    if (this.events.listenerCount(event) > 0) this.events.emit(event, { key, decision });
    return decision;
  }

  private async fallback(
    key: string,
    full: string,
    op: (backend: Backend, fullKey: string) => Promise<RawDecision>,
    counts: boolean,
  ): Promise<RateLimitDecision> {
    if (counts) {
      this.counters.fallbacks++;
      this.events.emit('fallback', { key, policy: this.o.onRedisError });
    }
    if (this.o.onRedisError === 'memory') {
      return this.record(key, this.dress(await op(this.memory, full), 'memory'), counts);
    }
    const retryAfterMs = Math.max(1000, this.openUntil - Date.now());
    const allow = this.o.onRedisError === 'allow';
    return this.record(
      key,
      {
        allowed: allow,
        remaining: allow ? this.o.limit : 0,
        resetAt: Date.now() + retryAfterMs,
        retryAfterMs: allow ? 0 : retryAfterMs,
        limit: this.o.limit,
        used: 0,
        source: 'policy',
      },
      counts,
    );
  }

  private noteFailure(error: unknown): void {
    this.counters.redisErrors++;
    this.openUntil = Date.now() + this.o.retryRedisAfterMs;
    this.events.emit('redisError', { error });
    this.markDegraded(error);
  }

  /** One warning per outage (not per probe or per request); `recover()` logs the way back. */
  private markDegraded(cause: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn(
      { err: cause, limiter: this.o.name, policy: this.o.onRedisError },
      'rate-limit: Redis unavailable, applying onRedisError policy until it answers again',
    );
  }

  /** Every Redis call goes through here: raced with the timeout, feeding the circuit. */
  private callRedis<T>(fn: () => Promise<T>): Promise<T> {
    if (!clientConnected(this.o.redis)) {
      const error = new Error(`Redis client is ${this.o.redis.status}`);
      this.markDegraded(error);
      return Promise.reject(error);
    }
    return withTimeout(fn(), this.o.commandTimeoutMs).then(
      (value) => {
        if (this.degraded) this.recover();
        return value;
      },
      (error: unknown) => {
        this.noteFailure(error);
        throw error;
      },
    );
  }

  private recover(): void {
    this.degraded = false;
    this.memory.clear();
    this.log.info({ limiter: this.o.name }, 'rate-limit: Redis answers again, leaving fallback');
    this.events.emit('recovered');
  }

  private dress(raw: RawDecision, source: DecisionSource): RateLimitDecision {
    const now = Date.now();
    return {
      allowed: raw.allowed,
      remaining: Math.max(0, this.o.limit - raw.used),
      resetAt: now + Math.max(0, raw.resetInMs),
      retryAfterMs: Math.max(0, raw.retryAfterMs),
      limit: this.o.limit,
      used: raw.used,
      source,
    };
  }
}

const LOST = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/**
 * False once the client has lost its connection and is waiting to retry: a command would only sit
 * in the offline queue until the timeout. A client still making its first connection
 * (`connecting`, or `wait` for lazyConnect) is given the chance, bounded by `commandTimeoutMs`.
 */
function clientConnected(redis: RedisClient): boolean {
  return !LOST.has(redis.status);
}

/**
 * Creates a limiter. Options are validated now (a `RateLimitConfigError` names the bad field);
 * scripts load on every master once the client is ready, and again on NOSCRIPT.
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const resolved = resolveLimiterOptions(options);
  const limiter = new RedisLimiter(resolved);
  const load = () => {
    limiter.ready().catch(() => {
      // Not fatal: EVALSHA falls back to EVAL on NOSCRIPT, and outages follow onRedisError.
    });
  };
  // Preload once the client is connected; never forces a lazyConnect client to connect.
  if (resolved.redis.status === 'ready') load();
  else resolved.redis.once('ready', load);
  return limiter;
}
