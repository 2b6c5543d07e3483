/**
 * The single-instance stand-in used under `onRedisError: 'memory'` while Redis is unreachable.
 * Bounded (oldest entries evicted first), honours expiry, and remembers destroys so they are
 * replayed to Redis once it is back (a logout during an outage still sticks).
 */
export class MemoryFallback {
  private readonly sessions = new Map<string, { json: string; expiresAt: number }>();
  private readonly tombstones = new Map<string, number>();
  /** Destroys that Redis has not seen yet. */
  readonly pendingDestroys = new Set<string>();

  constructor(
    private readonly maxEntries: number,
    private readonly tombstoneTtlMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(sid: string): string | undefined {
    const entry = this.sessions.get(sid);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.sessions.delete(sid);
      return undefined;
    }
    return entry.json;
  }

  set(sid: string, json: string, ttlMs: number): boolean {
    if (this.isDestroyed(sid)) return false;
    this.sessions.delete(sid);
    this.sessions.set(sid, { json, expiresAt: Date.now() + ttlMs });
    while (this.sessions.size > this.maxEntries) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return true;
  }

  touch(sid: string, ttlMs: number): boolean {
    const entry = this.sessions.get(sid);
    if (!entry) return false;
    entry.expiresAt = Date.now() + ttlMs;
    return true;
  }

  /** Forget the local copy (it now lives in Redis). */
  drop(sid: string): void {
    this.sessions.delete(sid);
  }

  destroy(sid: string, pending: boolean): void {
    this.sessions.delete(sid);
    this.tombstones.set(sid, Date.now() + this.tombstoneTtlMs);
    if (this.tombstones.size > this.maxEntries) {
      const oldest = this.tombstones.keys().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
    if (pending) this.pendingDestroys.add(sid);
  }

  isDestroyed(sid: string): boolean {
    const until = this.tombstones.get(sid);
    if (until === undefined) return false;
    if (until <= Date.now()) {
      this.tombstones.delete(sid);
      return false;
    }
    return true;
  }
}
