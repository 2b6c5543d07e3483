import { globToRegExp } from '@redis-toolkit/connection';
import { LRUCache } from 'lru-cache';
import type { CacheConfig } from '../options/resolve.js';
import { type Serializer, sizeOf } from '../serializer.js';
import { deepFreezeIfPlain, type Envelope } from '../values.js';

/** What memory holds: the serialized envelope, or (freeze mode, plain data) the deep-frozen value. */
export interface MemoryEntry {
  data: string | Buffer | undefined;
  value: unknown;
  frozen: boolean;
  e: number;
  g: number;
  c: number;
  t: string[] | undefined;
  size: number;
  /** A copy of what Redis held when this instance last read or wrote it (fallback mode). */
  copy: boolean;
}

/** An entry found in either tier, with its value ready to hand out. */
export interface Found {
  value: unknown;
  e: number;
  g: number;
  c: number;
  t: string[] | undefined;
  tier: 'l1' | 'l2';
  copy: boolean;
}

/** Server-assisted invalidation's say over memory (src/tracking): may it answer, may a read fill it. */
export interface MemoryGuard {
  servable(): boolean;
  fillable(key: string): boolean;
}

/** The in-process LRU: the tier, the outage copy, or the whole store when memory-only. */
export class MemoryTier {
  guard: MemoryGuard | undefined;
  private readonly lru: LRUCache<string, MemoryEntry> | undefined;
  private readonly serializer: Serializer;
  private readonly ttlMs: number | undefined;
  private readonly freeze: boolean;

  constructor(config: CacheConfig) {
    this.serializer = config.serializer;
    this.ttlMs = config.l1TtlMs;
    this.freeze = config.freeze;
    if (config.maxMemoryEntries > 0) {
      this.lru = new LRUCache<string, MemoryEntry>({
        max: config.maxMemoryEntries,
        // sizes are always tracked (stats().l1.bytes); bounded only when maxMemoryBytes is given
        ...(config.maxMemoryBytes
          ? { maxSize: config.maxMemoryBytes }
          : { maxEntrySize: Number.MAX_SAFE_INTEGER }),
        sizeCalculation: (entry: MemoryEntry) => entry.size,
        ttlAutopurge: false,
      });
    }
  }

  get enabled(): boolean {
    return this.lru !== undefined;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  private ttlFor(left: number): number {
    return this.ttlMs === undefined ? left : Math.min(left, this.ttlMs);
  }

  /** Stores a serialized envelope (deserialized lazily on the first hit). */
  setData(key: string, env: Envelope, data: string | Buffer, copy: boolean): void {
    const lru = this.lru;
    if (!lru) return;
    const left = env.g - Date.now();
    if (left <= 0 || (copy && this.guard && !this.guard.fillable(key))) {
      lru.delete(key);
      return;
    }
    lru.set(
      key,
      {
        data,
        value: undefined,
        frozen: false,
        e: env.e,
        g: env.g,
        c: env.c,
        t: env.t,
        size: sizeOf(data) + key.length + 64,
        copy,
      },
      { ttl: this.ttlFor(left) },
    );
  }

  /** Stores an envelope built here (a counter, an expire), serializing it. */
  setEnvelope(key: string, env: Envelope, copy: boolean): void {
    if (this.lru) this.setData(key, env, this.serializer.serialize(env), copy);
  }

  /**
   * Stores a value read from Redis: frozen when plain (freeze mode), else its serialized form.
   * An outage copy (`copy`) keeps the serialized form: it is served only during an outage, so the
   * common read neither walks the value to freeze it nor rewrites an entry it already holds.
   */
  setRead(key: string, env: Envelope, raw: string | Buffer, copy: boolean): void {
    const lru = this.lru;
    if (!lru) return;
    const left = env.g - Date.now();
    if (left <= 0) return;
    if (copy) {
      const held = lru.get(key);
      if (held?.copy && held.c === env.c && held.g === env.g && held.e === env.e) return;
      this.setData(key, env, raw, true);
      return;
    }
    if (this.guard && !this.guard.fillable(key)) {
      lru.delete(key);
      return;
    }
    if (!(this.freeze && deepFreezeIfPlain(env.v))) {
      // env.v was just deserialized and goes to the caller: memory keeps the serialized form
      this.setData(key, env, raw, copy);
      return;
    }
    const { e, g, c, t } = env;
    const size = sizeOf(raw) + key.length + 64;
    lru.set(
      key,
      { data: undefined, value: env.v, frozen: true, e, g, c, t, size, copy },
      { ttl: this.ttlFor(left) },
    );
  }

  /** The entry while still within its grace window (fresh or stale), or undefined. */
  get(key: string): MemoryEntry | undefined {
    if (this.guard && !this.guard.servable()) return undefined;
    const entry = this.lru?.get(key);
    if (!entry) return undefined;
    if (entry.g <= Date.now()) {
      this.lru?.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Tags of the entry held for `key` (a hint for reading their times with it), without touching recency. */
  peekTags(key: string): string[] | undefined {
    return this.lru?.peek(key, { allowStale: true })?.t;
  }

  /** The value of an entry: the frozen object, or a fresh deserialized copy. */
  value(entry: MemoryEntry): unknown {
    if (entry.frozen) return entry.value;
    const env = this.serializer.deserialize(entry.data as string | Buffer) as Envelope;
    if (this.freeze && deepFreezeIfPlain(env.v)) {
      entry.value = env.v;
      entry.frozen = true;
      entry.data = undefined;
    }
    return env.v;
  }

  found(entry: MemoryEntry): Found {
    const { e, g, c, t, copy } = entry;
    return { value: this.value(entry), e, g, c, t, tier: 'l1', copy };
  }

  delete(key: string): boolean {
    return this.lru?.delete(key) ?? false;
  }

  /** Drops entries carrying any of `tags`. */
  dropTags(tags: readonly string[]): void {
    const lru = this.lru;
    if (!lru) return;
    const set = new Set(tags);
    for (const [key, entry] of lru.entries()) {
      if (entry.t?.some((t) => set.has(t))) lru.delete(key);
    }
  }

  /** Drops entries whose key matches a Redis glob. Returns how many. */
  dropPattern(pattern: string): number {
    const lru = this.lru;
    if (!lru) return 0;
    const re = globToRegExp(pattern);
    let n = 0;
    for (const key of [...lru.keys()]) {
      if (re.test(key)) {
        lru.delete(key);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.lru?.clear();
  }
}
