import type { Backend, RawDecision } from './backend.js';

/**
 * GCRA in process memory (fallback and memory-only mode), the same integer-µs arithmetic as
 * lua/gcra.ts, so both decide alike. Bounded: past `maxKeys` it drops expired keys, then the oldest.
 */
export class MemoryGcra implements Backend {
  private readonly tat = new Map<string, number>();
  private readonly refused = new Map<string, { hits: number; until: number }>();

  constructor(
    private readonly emissionUs: number,
    private readonly burst: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.tat.size;
  }

  private nowUs(): number {
    return Math.floor(this.clock()) * 1000;
  }

  async consume(key: string, cost: number): Promise<RawDecision> {
    return this.decide(key, cost);
  }

  private decide(key: string, cost: number): RawDecision {
    const now = this.nowUs();
    const T = this.emissionUs;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const newTat = tat + cost * T;
    const limitAt = now + this.burst * T;
    if (newTat > limitAt) {
      const remaining = Math.floor((limitAt - tat) / T);
      return {
        allowed: false,
        used: this.burst - remaining + cost,
        resetInMs: Math.ceil((tat - now) / 1000),
        retryAfterMs: Math.ceil((newTat - limitAt) / 1000),
      };
    }
    this.store(key, newTat, now);
    return {
      allowed: true,
      used: this.burst - Math.floor((limitAt - newTat) / T),
      resetInMs: Math.ceil((newTat - now) / 1000),
      retryAfterMs: 0,
    };
  }

  async peek(key: string): Promise<RawDecision> {
    const now = this.nowUs();
    const T = this.emissionUs;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const limitAt = now + this.burst * T;
    const used = this.burst - Math.floor((limitAt - tat) / T);
    return {
      allowed: used < this.burst,
      used,
      resetInMs: Math.ceil((tat - now) / 1000),
      retryAfterMs: tat + T > limitAt ? Math.ceil((tat + T - limitAt) / 1000) : 0,
    };
  }

  async hit(key: string, countRefused: boolean): Promise<RawDecision> {
    const d = this.decide(key, 1);
    if (!d.allowed && countRefused) {
      const now = this.clock();
      const r = this.refused.get(key);
      if (r && r.until > now) {
        r.hits++;
        r.until = now + this.windowMs;
      } else {
        this.refused.set(key, { hits: 1, until: now + this.windowMs });
      }
    }
    return d;
  }

  async unhit(key: string): Promise<void> {
    const r = this.refused.get(key);
    if (r && r.until > this.clock() && r.hits > 0) {
      r.hits--;
      return;
    }
    await this.refund(key, 1);
  }

  async refund(key: string, cost: number): Promise<void> {
    const tat = this.tat.get(key);
    if (tat === undefined) return;
    const back = tat - cost * this.emissionUs;
    if (back <= this.nowUs()) this.tat.delete(key);
    else this.tat.set(key, back);
  }

  async reset(key: string): Promise<void> {
    this.tat.delete(key);
    this.refused.delete(key);
  }

  clear(): void {
    this.tat.clear();
    this.refused.clear();
  }

  private store(key: string, tat: number, now: number): void {
    if (!this.tat.has(key) && this.tat.size >= this.maxKeys) {
      for (const [k, v] of this.tat) if (v <= now) this.tat.delete(k);
      for (const k of this.tat.keys()) {
        if (this.tat.size < this.maxKeys) break;
        this.tat.delete(k);
      }
    }
    this.tat.set(key, tat);
  }
}
