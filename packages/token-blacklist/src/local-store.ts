/**
 * What this process knows about revocations: its own (always), what it learned from Redis
 * (positive answers only — a revocation never goes away before it expires), and, with the
 * mirror on, every revocation in the namespace. Everything here is monotonic: entries are only
 * added or extended until they expire, so merging from any source in any order is safe.
 *
 * Memory: token ids are short strings (≤ 45 chars) and expiries are small integers (seconds
 * relative to `base`, so V8 keeps them as Smis instead of boxed doubles).
 */
export class LocalStore {
  private readonly base = Math.floor(Date.now() / 1000) - 1;
  private readonly tokens = new Map<string, number>();
  private readonly users = new Map<string, { cutoffMs: number; expMs: number }>();

  get size(): number {
    return this.tokens.size + this.users.size;
  }

  /** Records a token revocation until `expMs`; keeps the later expiry. Returns true if it changed anything. */
  addToken(id: string, expMs: number): boolean {
    const rel = Math.ceil(expMs / 1000) - this.base;
    const current = this.tokens.get(id);
    if (current !== undefined && current >= rel) return false;
    this.tokens.set(id, rel);
    return true;
  }

  /** Records a user cut-off; never moves it backwards. Returns true if it changed anything. */
  addUser(userId: string, cutoffMs: number, expMs: number): boolean {
    const current = this.users.get(userId);
    if (current && current.cutoffMs >= cutoffMs) {
      if (expMs > current.expMs) current.expMs = expMs;
      return false;
    }
    this.users.set(userId, { cutoffMs, expMs: Math.max(expMs, current?.expMs ?? 0) });
    return true;
  }

  hasToken(id: string, nowMs: number): boolean {
    const rel = this.tokens.get(id);
    if (rel === undefined) return false;
    if ((rel + this.base) * 1000 <= nowMs) {
      this.tokens.delete(id);
      return false;
    }
    return true;
  }

  /** The user's cut-off in ms, or undefined. */
  userCutoff(userId: string, nowMs: number): number | undefined {
    const entry = this.users.get(userId);
    if (!entry) return undefined;
    if (entry.expMs <= nowMs) {
      this.users.delete(userId);
      return undefined;
    }
    return entry.cutoffMs;
  }

  /** Live entries, for re-seeding an emptied Redis. */
  *entries(
    nowMs: number,
  ): Generator<
    | { kind: 't'; id: string; expMs: number }
    | { kind: 'u'; id: string; cutoffMs: number; expMs: number }
  > {
    for (const [id, rel] of this.tokens) {
      const expMs = (rel + this.base) * 1000;
      if (expMs > nowMs) yield { kind: 't', id, expMs };
    }
    for (const [id, entry] of this.users) {
      if (entry.expMs > nowMs) yield { kind: 'u', id, ...entry };
    }
  }

  /** Drops expired entries; returns how many. */
  sweep(nowMs: number): number {
    let removed = 0;
    const nowRel = Math.floor(nowMs / 1000) - this.base;
    for (const [id, rel] of this.tokens) {
      if (rel <= nowRel) {
        this.tokens.delete(id);
        removed++;
      }
    }
    for (const [id, entry] of this.users) {
      if (entry.expMs <= nowMs) {
        this.users.delete(id);
        removed++;
      }
    }
    return removed;
  }
}
