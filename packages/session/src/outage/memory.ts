interface Entry {
  json: string;
  expiresAt: number;
  userId: string | undefined;
  lastSeenAt: number;
}

/**
 * Sessions held in this instance's memory: the whole store in memory-only mode (no `redis`), and
 * the stand-in under `onRedisError: 'memory'` while Redis is unavailable. Bounded (oldest evicted
 * first), honours expiry, keeps tombstones so a destroyed id stays dead, and remembers what Redis
 * has not seen yet (sessions written and destroys made during an outage) for the replay.
 */
export class MemorySessions {
  private readonly sessions = new Map<string, Entry>();
  private readonly tombstones = new Map<string, number>();
  private readonly byUser = new Map<string, Set<string>>();
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
    const entry = this.live(sid);
    return entry?.json;
  }

  set(sid: string, json: string, ttlMs: number, userId: string | undefined): boolean {
    if (this.isDestroyed(sid)) return false;
    this.forget(sid);
    const now = Date.now();
    this.sessions.set(sid, { json, expiresAt: now + ttlMs, userId, lastSeenAt: now });
    if (userId !== undefined) {
      const sids = this.byUser.get(userId) ?? new Set<string>();
      sids.add(sid);
      this.byUser.set(userId, sids);
    }
    while (this.sessions.size > this.maxEntries) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
    return true;
  }

  touch(sid: string, ttlMs: number): boolean {
    const entry = this.live(sid);
    if (!entry) return false;
    entry.lastSeenAt = Date.now();
    entry.expiresAt = entry.lastSeenAt + ttlMs;
    return true;
  }

  /** Forget the local copy (it now lives in Redis). */
  drop(sid: string): void {
    this.forget(sid);
  }

  destroy(sid: string, pendingForRedis: boolean): void {
    this.forget(sid);
    this.tombstones.delete(sid);
    this.tombstones.set(sid, Date.now() + this.tombstoneTtlMs);
    while (this.tombstones.size > this.maxEntries) {
      const oldest = this.tombstones.keys().next().value;
      if (oldest === undefined) break;
      this.tombstones.delete(oldest);
    }
    if (pendingForRedis) this.pendingDestroys.add(sid);
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

  /** Live sessions of one user (memory-only listings, and logins made during an outage). */
  userSessions(
    userId: string,
  ): { sid: string; json: string; expiresAt: number; lastSeenAt: number }[] {
    const out: { sid: string; json: string; expiresAt: number; lastSeenAt: number }[] = [];
    for (const sid of this.byUser.get(userId) ?? []) {
      const entry = this.live(sid);
      if (entry)
        out.push({
          sid,
          json: entry.json,
          expiresAt: entry.expiresAt,
          lastSeenAt: entry.lastSeenAt,
        });
    }
    return out;
  }

  /** Every live session, oldest first (for the replay into Redis). */
  entries(): { sid: string; json: string; expiresAt: number }[] {
    const out: { sid: string; json: string; expiresAt: number }[] = [];
    for (const sid of [...this.sessions.keys()]) {
      const entry = this.live(sid);
      if (entry) out.push({ sid, json: entry.json, expiresAt: entry.expiresAt });
    }
    return out;
  }

  ids(): string[] {
    return this.entries().map((e) => e.sid);
  }

  clear(): void {
    this.sessions.clear();
    this.byUser.clear();
    this.tombstones.clear();
    this.pendingDestroys.clear();
  }

  private live(sid: string): Entry | undefined {
    const entry = this.sessions.get(sid);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.forget(sid);
      return undefined;
    }
    return entry;
  }

  private forget(sid: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return;
    this.sessions.delete(sid);
    if (entry.userId === undefined) return;
    const sids = this.byUser.get(entry.userId);
    sids?.delete(sid);
    if (sids?.size === 0) this.byUser.delete(entry.userId);
  }
}
