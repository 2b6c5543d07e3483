import type { Backend, RawDecision } from './backend.js';
import type { Algorithm } from './types.js';

interface Counter {
  hits: number;
  resetAt: number;
}

/**
 * The same algorithms in process memory: the per-process fallback while Redis is unreachable.
 * Bounded: past `maxKeys` it drops expired keys, then the oldest ones.
 */
export class MemoryBackend implements Backend {
  private readonly counters = new Map<string, Counter>();
  private readonly logs = new Map<string, number[]>();
  /** Sliding window: refused hits a decrement may still undo (see lua/sliding-store.ts). */
  private readonly refused = new Map<string, Counter>();

  constructor(
    private readonly algorithm: Algorithm,
    private readonly windowMs: number,
    private readonly limit: number,
    private readonly maxKeys: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.counters.size + this.logs.size;
  }

  async consume(key: string, cost: number): Promise<RawDecision> {
    const now = this.clock();
    if (this.algorithm === 'fixed-window') {
      let c = this.counters.get(key);
      if (!c || c.resetAt <= now) {
        c = { hits: 0, resetAt: now + this.windowMs };
        this.counters.delete(key);
        this.bound(this.counters, now);
        this.counters.set(key, c);
      }
      const resetInMs = c.resetAt - now;
      if (c.hits + cost > this.limit) {
        return { allowed: false, used: c.hits + cost, resetInMs, retryAfterMs: resetInMs };
      }
      c.hits += cost;
      return { allowed: true, used: c.hits, resetInMs, retryAfterMs: 0 };
    }
    let log = this.logs.get(key);
    if (!log) {
      this.bound(this.logs, now);
      log = [];
      this.logs.set(key, log);
    }
    this.expire(log, now);
    if (log.length + cost > this.limit) {
      const nth = log[log.length + cost - this.limit - 1] ?? now;
      return {
        allowed: false,
        used: log.length + cost,
        resetInMs: (log[0] ?? now) + this.windowMs - now,
        retryAfterMs: nth + this.windowMs - now,
      };
    }
    for (let i = 0; i < cost; i++) log.push(now);
    return {
      allowed: true,
      used: log.length,
      resetInMs: (log[0] ?? now) + this.windowMs - now,
      retryAfterMs: 0,
    };
  }

  async hit(key: string, countRefused: boolean): Promise<RawDecision> {
    if (this.algorithm === 'sliding-window') {
      const decision = await this.consume(key, 1);
      if (!decision.allowed && countRefused) {
        const now = this.clock();
        const r = this.refused.get(key);
        if (r && r.resetAt > now) {
          r.hits++;
          r.resetAt = now + this.windowMs;
        } else {
          this.bound(this.refused, now);
          this.refused.set(key, { hits: 1, resetAt: now + this.windowMs });
        }
      }
      return decision;
    }
    const decision = await this.consume(key, 1);
    if (decision.allowed) return decision;
    // counted anyway, as express-rate-limit expects (the window still ends at the same time)
    const c = this.counters.get(key);
    if (c) c.hits++;
    return { ...decision, used: c ? c.hits : decision.used };
  }

  async unhit(key: string): Promise<void> {
    const r = this.refused.get(key);
    if (r && r.resetAt > this.clock() && r.hits > 0) {
      r.hits--;
      return;
    }
    await this.refund(key, 1);
  }

  async peek(key: string): Promise<RawDecision> {
    const now = this.clock();
    if (this.algorithm === 'fixed-window') {
      const c = this.counters.get(key);
      if (!c || c.resetAt <= now) {
        return { allowed: true, used: 0, resetInMs: this.windowMs, retryAfterMs: 0 };
      }
      const allowed = c.hits < this.limit;
      const resetInMs = c.resetAt - now;
      return { allowed, used: c.hits, resetInMs, retryAfterMs: allowed ? 0 : resetInMs };
    }
    const log = this.logs.get(key) ?? [];
    this.expire(log, now);
    const allowed = log.length < this.limit;
    const nth = log[log.length - this.limit] ?? now;
    return {
      allowed,
      used: log.length,
      resetInMs: log.length ? (log[0] ?? now) + this.windowMs - now : this.windowMs,
      retryAfterMs: allowed ? 0 : nth + this.windowMs - now,
    };
  }

  async refund(key: string, cost: number): Promise<void> {
    const now = this.clock();
    if (this.algorithm === 'fixed-window') {
      const c = this.counters.get(key);
      if (c && c.resetAt > now) c.hits = Math.max(0, c.hits - cost);
      return;
    }
    const log = this.logs.get(key);
    if (!log) return;
    this.expire(log, now);
    log.splice(0, cost);
  }

  async reset(key: string): Promise<void> {
    this.counters.delete(key);
    this.logs.delete(key);
    this.refused.delete(key);
  }

  /** Forget everything (used when Redis is back: Redis holds the truth again). */
  clear(): void {
    this.counters.clear();
    this.logs.clear();
    this.refused.clear();
  }

  private expire(log: number[], now: number): void {
    let drop = 0;
    while (drop < log.length && (log[drop] ?? 0) <= now - this.windowMs) drop++;
    if (drop) log.splice(0, drop);
  }

  private bound<V>(map: Map<string, V>, now: number): void {
    if (map.size < this.maxKeys) return;
    for (const [k, v] of map) {
      const live = Array.isArray(v)
        ? (v.at(-1) ?? 0) > now - this.windowMs
        : (v as Counter).resetAt > now;
      if (!live) map.delete(k);
    }
    for (const k of map.keys()) {
      if (map.size < this.maxKeys) break;
      map.delete(k);
    }
  }
}
