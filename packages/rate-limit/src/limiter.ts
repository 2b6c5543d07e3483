import {
  isRedisUnavailable,
  type LuaScript,
  loadScripts,
  logSafeError,
  ToolkitEvents,
} from '@redis-toolkit/connection';
import type { Backend, BackendWrites, DecisionKind, RawDecision } from './backend.js';
import { RateLimitCostError, RateLimitUnavailableError } from './errors.js';
import { GCRA_SCRIPTS, RedisGcraBackend } from './gcra-backend.js';
import { MemoryGcra } from './gcra-memory.js';
import { makeKeyFn } from './keys.js';
import { MemoryBackend } from './memory-backend.js';
import { type ResolvedLimiterOptions, resolveLimiterOptions } from './options.js';
import { FIXED_SCRIPTS, RedisBackend, SLIDING_SCRIPTS } from './redis-backend.js';
import type { ScriptBackend } from './script-backend.js';
import type {
  Algorithm,
  DecisionSource,
  LimiterEvents,
  LimiterOptions,
  LimiterStats,
  RateLimitDecision,
  RedisErrorPolicy,
} from './types.js';

/** A limiter for anything: login attempts, e-mails per user, jobs per tenant. */
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
  /** Forgets `key` everywhere. Throws `RateLimitUnavailableError` if Redis did not confirm. */
  reset(key: string): Promise<void>;
  /** The full Redis key for `key` (documentation and debugging). */
  keyFor(key: string): string;
  /** Loads the Lua scripts on every master now (otherwise they load on first use). */
  ready(): Promise<void>;
  stats(): LimiterStats;
  readonly events: LimiterEvents;
}

const scriptsOf = (algorithm: Algorithm): readonly LuaScript[] =>
  algorithm === 'gcra'
    ? GCRA_SCRIPTS
    : algorithm === 'fixed-window'
      ? FIXED_SCRIPTS
      : SLIDING_SCRIPTS;

/** ms a 'deny' decision asks the client to wait when there is no runtime to ask. */
const POLICY_RETRY_MS = 1000;

type Op = (backend: Backend, fullKey: string) => Promise<RawDecision>;

const opOf =
  (kind: DecisionKind, arg: number): Op =>
  (b, k) =>
    kind === 'consume' ? b.consume(k, arg) : kind === 'hit' ? b.hit(k, arg === 1) : b.peek(k);

export class LimiterImpl implements Limiter {
  readonly keyFor: (key: string) => string;
  readonly events: LimiterEvents;
  private readonly emitter: ToolkitEvents;
  private readonly redisBackend: ScriptBackend | undefined;
  private readonly memory: MemoryBackend | MemoryGcra;

  constructor(private readonly o: ResolvedLimiterOptions) {
    this.keyFor = makeKeyFn(o.namespace, o.name);
    this.emitter = new ToolkitEvents('ratelimit', o.name);
    this.events = { on: (listener) => this.emitter.on(listener) };
    const rt = o.runtime;
    this.redisBackend = rt
      ? o.algorithm === 'gcra'
        ? new RedisGcraBackend(rt, o)
        : new RedisBackend(rt, o)
      : undefined;
    this.memory =
      o.algorithm === 'gcra'
        ? new MemoryGcra(o.emissionUs, o.capacity, o.windowMs, o.maxMemoryEntries, o.clock)
        : new MemoryBackend(o.algorithm, o.windowMs, o.limit, o.maxMemoryEntries, o.clock);
    // Redis holds the truth again: the outage's per-process counts are dropped.
    o.runtime?.on('up', () => this.memory.clear());
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
  /** Internal: resolved options (combined middleware, store adapter). */
  get resolved(): ResolvedLimiterOptions {
    return this.o;
  }

  /** Internal: counts a decision made elsewhere (the combined script). */
  recordDecision(operation: string, raw: RawDecision, counted: boolean): RateLimitDecision {
    return this.record(operation, this.dress(raw, 'redis'), counted);
  }

  /** Internal: counts an error of a call made elsewhere (the combined script). */
  recordError(operation: string, error: unknown): void {
    this.emitter.emit('error', operation, 1, { reason: logSafeError(error).message });
  }

  stats(): LimiterStats {
    const rt = this.o.runtime;
    return { ...this.emitter.snapshot(), redis: rt ? (rt.available ? 'up' : 'down') : 'absent' };
  }

  async ready(): Promise<void> {
    // only this algorithm's scripts: the preload shares the connection with the first decisions
    if (this.o.runtime) await loadScripts(this.o.runtime, scriptsOf(this.o.algorithm));
  }

  consume(key: string, cost = 1): Promise<RateLimitDecision> {
    // cost 1 always fits (capacity >= 1): the common call skips the checks
    if (cost !== 1) return this.consumeCost(key, cost);
    return this.decide(key, 'consume', 'consume', 1, true);
  }

  private consumeCost(key: string, cost: number): Promise<RateLimitDecision> {
    if (!Number.isInteger(cost) || cost < 1) {
      return Promise.reject(
        new RateLimitCostError(`cost must be a positive integer (got ${cost})`),
      );
    }
    if (cost > this.o.capacity) {
      return Promise.reject(
        new RateLimitCostError(
          `cost ${cost} can never fit in ${this.o.algorithm === 'gcra' ? 'burst' : 'limit'} ${this.o.capacity} of limiter "${this.o.name}"`,
        ),
      );
    }
    return this.decide(key, 'consume', 'consume', cost, true);
  }

  /** express-rate-limit's `increment` (see Backend.hit). */
  hit(key: string, countRefused: boolean): Promise<RateLimitDecision> {
    return this.decide(key, 'increment', 'hit', countRefused ? 1 : 0, true);
  }

  /** express-rate-limit's `decrement`. */
  unhit(key: string): Promise<void> {
    return this.write(key, 'decrement', (b, k) => b.unhit(k));
  }

  peek(key: string): Promise<RateLimitDecision> {
    return this.decide(key, 'peek', 'peek', 0, false);
  }

  refund(key: string, cost = 1): Promise<void> {
    return this.write(key, 'refund', (b, k) => b.refund(k, cost));
  }

  async reset(key: string): Promise<void> {
    const full = this.keyFor(key);
    await this.memory.reset(full);
    if (!this.redisBackend) return;
    try {
      await this.redisBackend.reset(full);
    } catch (error) {
      this.emitter.emit('error', 'reset', 1, { reason: logSafeError(error).message });
      throw new RateLimitUnavailableError(
        `rate-limit: reset of "${key}" in limiter "${this.o.name}" not confirmed by Redis`,
        POLICY_RETRY_MS,
        error,
      );
    }
  }

  /** Best-effort writes (refund, decrement): Redis when available, else this process's memory. */
  private async write(
    key: string,
    operation: string,
    op: (b: BackendWrites, k: string) => Promise<void>,
  ) {
    const full = this.keyFor(key);
    const rt = this.o.runtime;
    if (this.redisBackend && rt?.available) {
      try {
        await op(this.redisBackend, full);
        return;
      } catch (error) {
        this.emitter.emit('error', operation, 1, { reason: logSafeError(error).message });
        if (!isRedisUnavailable(error)) throw error;
      }
    }
    if (!rt || this.o.onRedisError === 'memory') await op(this.memory, full);
  }

  /** The shared Retry-After rule: until the runtime's next probe, at least 1 s. */
  private policyRetryMs(): number {
    const rt = this.o.runtime;
    return rt ? rt.retryAfterSeconds() * 1000 : POLICY_RETRY_MS;
  }

  /**
   * The hot path: one script through the runtime, its reply decoded, dressed and counted in one
   * `.then` (no closure per call; the fallback builds its own). See README, Benchmarks.
   */
  private decide(
    key: string,
    operation: string,
    kind: DecisionKind,
    arg: number,
    counts: boolean,
  ): Promise<RateLimitDecision> {
    const full = this.keyFor(key);
    const rt = this.o.runtime;
    const backend = this.redisBackend;
    if (!backend || !rt) {
      return opOf(kind, arg)(this.memory, full).then((raw) =>
        this.record(operation, this.dress(raw, 'memory'), counts),
      );
    }
    if (!rt.available) return this.fallback(operation, full, opOf(kind, arg), counts, undefined);
    return backend.send(kind, full, arg).then(
      (reply) => this.record(operation, this.dress(backend.decode(kind, reply), 'redis'), counts),
      (error: unknown) => {
        const reason = logSafeError(error).message;
        if (!isRedisUnavailable(error) || error.reason !== 'outage') {
          this.emitter.emit('error', operation, 1, { reason });
        }
        if (!isRedisUnavailable(error)) throw error;
        return this.fallback(operation, full, opOf(kind, arg), counts, reason);
      },
    );
  }

  private record(
    operation: string,
    decision: RateLimitDecision,
    counts: boolean,
  ): RateLimitDecision {
    if (counts) this.emitter.emit(decision.allowed ? 'allow' : 'block', operation);
    return decision;
  }

  private async fallback(
    operation: string,
    full: string,
    op: Op,
    counts: boolean,
    reason: string | undefined,
  ): Promise<RateLimitDecision> {
    if (counts) {
      this.emitter.emit('fallback', operation, 1, {
        reason: reason ?? this.o.runtime?.outage?.message ?? 'redis unavailable',
      });
    }
    if (this.o.onRedisError === 'memory') {
      return this.record(operation, this.dress(await op(this.memory, full), 'memory'), counts);
    }
    const allow = this.o.onRedisError === 'allow';
    return this.record(
      operation,
      {
        allowed: allow,
        remaining: allow ? this.o.capacity : 0,
        resetAt: Date.now() + this.policyRetryMs(),
        retryAfterMs: allow ? 0 : this.policyRetryMs(),
        limit: this.o.capacity,
        used: 0,
        source: 'policy',
      },
      counts,
    );
  }

  private dress(raw: RawDecision, source: DecisionSource): RateLimitDecision {
    return {
      allowed: raw.allowed,
      remaining: Math.max(0, this.o.capacity - raw.used),
      resetAt: Date.now() + Math.max(0, raw.resetInMs),
      retryAfterMs: Math.max(0, raw.retryAfterMs),
      limit: this.o.capacity,
      used: raw.used,
      source,
    };
  }
}

/** Builds a limiter from options already checked against `known` names (the middleware adds its own). */
export function buildLimiter(options: LimiterOptions, known?: readonly string[]): LimiterImpl {
  const resolved = resolveLimiterOptions(options, known);
  const limiter = new LimiterImpl(resolved);
  const rt = resolved.runtime;
  if (rt) {
    const load = () => {
      limiter.ready().catch(() => {
        // Not fatal: runScript recovers from NOSCRIPT, and outages follow onRedisError.
      });
    };
    // Preload once the client is connected; never forces a lazyConnect client to connect.
    rt.whenReady(load);
  }
  return limiter;
}

/**
 * Creates a limiter. Options are validated now (a `RateLimitConfigError` names the bad field,
 * and an unknown one the nearest known name). Without `redis` it is memory-only (this process).
 */
export function createLimiter(options: LimiterOptions): Limiter {
  return buildLimiter(options);
}
