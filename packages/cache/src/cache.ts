import { randomBytes } from 'node:crypto';
import type { L1Entry } from './core.js';
import { Core, FAIL, type Found, type Maybe, TAG_TTL_MS } from './core.js';
import { parseDuration } from './duration.js';
import { CacheConfigError, CacheUndefinedValueError } from './errors.js';
import { encodeSegment, escapeGlob } from './keys.js';
import { evalScript, RELEASE_LOCK, RELEASE_LOCK_SHA } from './lua.js';
import { serializeOrThrow } from './serializer.js';
import type {
  CacheEvents,
  CacheOptions,
  CacheStats,
  GetOrSetOptions,
  MsetEntry,
  SetOptions,
} from './types.js';
import type { Envelope } from './values.js';

const STALE_TIMEOUT: unique symbol = Symbol('soft-timeout');

/**
 * A two-tier cache (L1 in process, L2 in Redis) or a namespace of one. Every method answers even
 * when Redis is down or hung (from L1 / the loader), within `commandTimeoutMs`.
 */
export class Cache {
  /** Full key prefix of this namespace, e.g. `dental:cache:patients:` (without the ioredis keyPrefix). */
  readonly keyPrefix: string;

  /** @internal use createCache */
  constructor(
    private readonly core: Core,
    keyPrefix: string,
  ) {
    this.keyPrefix = keyPrefix;
  }

  private full(key: string): string {
    if (typeof key !== 'string' || key.length === 0)
      throw new CacheConfigError('key', 'expected a non-empty string');
    return this.keyPrefix + key;
  }

  private ttlOf(options: SetOptions | undefined): { ttl: number; grace: number } {
    return {
      ttl: options?.ttl === undefined ? this.core.defaultTtlMs : parseDuration(options.ttl, 'ttl'),
      grace:
        options?.grace === undefined
          ? this.core.defaultGraceMs
          : parseDuration(options.grace, 'grace'),
    };
  }

  private envelope(
    key: string,
    value: unknown,
    options: SetOptions | undefined,
  ): { env: Envelope; data: string | Buffer; px: number } {
    if (value === undefined) throw new CacheUndefinedValueError(key);
    const { ttl, grace } = this.ttlOf(options);
    if (ttl <= 0) throw new CacheConfigError('ttl', 'expected a positive duration');
    const now = Date.now();
    const env: Envelope = { v: value, e: now + ttl, g: now + ttl + grace, c: now };
    if (options?.tags && options.tags.length > 0) env.t = [...options.tags];
    const data = serializeOrThrow(this.core.serializer, env, key);
    return { env, data, px: ttl + grace };
  }

  /** The fresh value, or undefined (miss, expired, invalidated, or Redis unreachable and not in L1). */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const found = await this.lookup(this.full(key));
    return found && found.e > Date.now() ? (found.value as T) : undefined;
  }

  /** L1 then L2; counts a hit (fresh only) or a miss. Returns stale entries too (within grace). */
  private async lookup(full: string): Promise<Found | undefined> {
    const core = this.core;
    let entry = core.tiered ? core.l1Get(full) : undefined;
    if (entry && entry.e > Date.now()) return this.l1Hit(full, entry);
    const l2 = await this.l2Read(full);
    if (l2 === FAIL && core.fallback) {
      // fallback mode: memory answers only while Redis does not
      entry = core.l1Get(full);
      if (entry && entry.e > Date.now()) return this.l1Hit(full, entry);
    }
    if (l2 && l2 !== FAIL && l2.e > Date.now()) {
      core.counters.l2Hits++;
      core.emit('hit', { key: full, tier: 'l2' });
      return l2;
    }
    core.counters.misses++;
    core.emit('miss', { key: full });
    if (l2 && l2 !== FAIL) return l2;
    if (entry) return this.foundInL1(entry);
    return undefined;
  }

  private l1Hit(full: string, entry: L1Entry): Found {
    const core = this.core;
    core.counters.l1Hits++;
    core.emit('hit', { key: full, tier: 'l1' });
    return this.foundInL1(entry);
  }

  private foundInL1(entry: L1Entry): Found {
    const { e, g, c, t } = entry;
    return { value: this.core.l1Value(entry), e, g, c, t, tier: 'l1' };
  }

  /** GET from Redis when it may be used (undefined without Redis, FAIL when unavailable). */
  private async l2Read(full: string): Promise<Maybe<Found | undefined>> {
    const core = this.core;
    if (!core.redis) return undefined;
    if (!(await core.usable())) return FAIL;
    return core.l2Get(full);
  }

  /** Stores a value in both tiers. Throws only for a value that cannot be cached (nothing is written then). */
  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    const full = this.full(key);
    const { env, data, px } = this.envelope(full, value, options);
    await this.write(full, env, data, px, true);
  }

  /**
   * `explicit`: the caller replaced the value (set/mset/expire), so when Redis cannot take it, its
   * old copy there is wrong and is deleted on replay. A loader's fill replaces nothing.
   */
  private async write(
    full: string,
    env: Envelope,
    data: string | Buffer,
    px: number,
    explicit: boolean,
  ): Promise<void> {
    const core = this.core;
    if (core.tiered) core.l1SetData(full, env, data);
    core.counters.sets++;
    core.emit('set', { key: full });
    if (!core.redis) return;
    const ok = (await core.usable())
      ? await core.run('set', (c) => c.set(full, data, 'PX', px))
      : FAIL;
    if (ok !== FAIL) {
      core.publish({ y: 'set', k: [full] });
      return;
    }
    if (core.fallback) core.l1SetData(full, env, data);
    if (explicit) core.addPending('keys', [full]);
  }

  /** Removes keys from both tiers (and from every instance's L1). Returns how many Redis removed. */
  async del(keys: string | readonly string[]): Promise<number> {
    const fulls = (typeof keys === 'string' ? [keys] : [...keys]).map((k) => this.full(k));
    if (fulls.length === 0) return 0;
    const core = this.core;
    let local = 0;
    for (const k of fulls) if (core.l1?.delete(k)) local++;
    core.counters.deletes += fulls.length;
    core.emit('delete', { keys: fulls });
    if (!core.redis) return local;
    const removed = (await core.usable()) ? await core.unlink(fulls) : FAIL;
    if (removed === FAIL) {
      core.addPending('keys', fulls);
      return local;
    }
    core.publish({ y: 'del', k: fulls });
    return removed;
  }

  /** True when a fresh value exists. */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Seconds (rounded up) until the value expires, or undefined when there is no fresh value. */
  async ttl(key: string): Promise<number | undefined> {
    const found = await this.lookup(this.full(key));
    const left = found ? found.e - Date.now() : 0;
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /** Gives an existing fresh value a new TTL (tags and creation time kept). False when there is none. */
  async expire(key: string, ttl: SetOptions['ttl']): Promise<boolean> {
    const full = this.full(key);
    const found = await this.lookup(full);
    if (!found || found.e <= Date.now()) return false;
    const ms = parseDuration(ttl, 'ttl');
    const grace = found.g - found.e;
    const now = Date.now();
    const env: Envelope = { v: found.value, e: now + ms, g: now + ms + grace, c: found.c };
    if (found.t) env.t = found.t;
    const data = serializeOrThrow(this.core.serializer, env, full);
    await this.write(full, env, data, ms + grace, true);
    return true;
  }

  /** Many values in one round trip (MGET, or per-key GETs sent together on a Cluster). */
  async mget<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const core = this.core;
    const fulls = keys.map((k) => this.full(k));
    const out: (T | undefined)[] = new Array(fulls.length).fill(undefined);
    const fromL1 = (indexes: number[]): number[] => {
      const left: number[] = [];
      const now = Date.now();
      for (const i of indexes) {
        const entry = core.l1Get(fulls[i]!);
        if (entry && entry.e > now) {
          core.counters.l1Hits++;
          out[i] = core.l1Value(entry) as T;
        } else left.push(i);
      }
      return left;
    };
    let missing = fulls.map((_, i) => i);
    if (core.tiered) missing = fromL1(missing);
    if (missing.length > 0 && core.redis) {
      const raws = (await core.usable())
        ? await core.multiGet(missing.map((i) => fulls[i]!))
        : FAIL;
      if (raws !== FAIL) {
        for (let j = 0; j < missing.length; j++) {
          const i = missing[j]!;
          const found = await core.fromL2(fulls[i]!, raws[j] ?? null);
          if (found && found.e > Date.now()) {
            core.counters.l2Hits++;
            out[i] = found.value as T;
          } else core.counters.misses++;
        }
        return out;
      }
      if (core.fallback) missing = fromL1(missing);
    }
    core.counters.misses += missing.length;
    return out;
  }

  /** Stores many values in one round trip. Every value is serialized first: one bad value writes nothing. */
  async mset(entries: readonly MsetEntry[]): Promise<void> {
    const core = this.core;
    const items = entries.map((e) => {
      const full = this.full(e.key);
      return { full, ...this.envelope(full, e.value, e) };
    });
    if (core.tiered) for (const item of items) core.l1SetData(item.full, item.env, item.data);
    core.counters.sets += items.length;
    if (!core.redis || items.length === 0) return;
    const ok = (await core.usable())
      ? await core.multiSet(items.map((i) => ({ key: i.full, data: i.data, px: i.px })))
      : FAIL;
    if (ok !== FAIL) {
      core.publish({ y: 'set', k: items.map((i) => i.full) });
      return;
    }
    if (core.fallback) for (const item of items) core.l1SetData(item.full, item.env, item.data);
    core.addPending(
      'keys',
      items.map((i) => i.full),
    );
  }

  /**
   * The cached value, or the loader's (stored, then returned). Concurrent calls for one key in
   * this process share one loader run; `lock: true` extends that across processes sharing Redis.
   * With `grace`, a stale value is served when the loader throws or is slower than `timeout`.
   */
  getOrSet<T>(key: string, loader: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T> {
    const full = this.full(key);
    const core = this.core;
    // fallback mode: L1 is consulted only after Redis failed (in fill)
    const entry = core.tiered ? core.l1Get(full) : undefined;
    if (entry && entry.e > Date.now()) {
      core.counters.l1Hits++;
      core.emit('hit', { key: full, tier: 'l1' });
      return Promise.resolve(core.l1Value(entry) as T);
    }
    const running = core.flights.get(full);
    if (running) return running as Promise<T>;
    const flight = this.fill(full, loader, options).finally(() => core.flights.delete(full));
    core.flights.set(full, flight);
    return flight;
  }

  private async fill<T>(
    full: string,
    loader: () => T | Promise<T>,
    options: GetOrSetOptions | undefined,
  ): Promise<T> {
    const core = this.core;
    const l1Found = (): Found | undefined => {
      const entry = core.l1Get(full);
      return entry ? this.foundInL1(entry) : undefined;
    };
    let stale = core.tiered ? l1Found() : undefined;
    const l2 = await this.l2Read(full);
    const redisUp = l2 !== FAIL && Boolean(core.redis);
    if (l2 && l2 !== FAIL) {
      if (l2.e > Date.now()) {
        core.counters.l2Hits++;
        core.emit('hit', { key: full, tier: 'l2' });
        return l2.value as T;
      }
      stale = l2;
    }
    if (l2 === FAIL && core.fallback) {
      const found = l1Found();
      if (found && found.e > Date.now()) {
        core.counters.l1Hits++;
        core.emit('hit', { key: full, tier: 'l1' });
        return found.value as T;
      }
      stale = found;
    }
    core.counters.misses++;
    core.emit('miss', { key: full });
    if (options?.lock && redisUp) return this.fillLocked(full, loader, options, stale);
    return this.load(full, loader, options, stale);
  }

  /** Runs the loader and stores its value; with a stale value at hand, errors and slowness serve stale. */
  private async load<T>(
    full: string,
    loader: () => T | Promise<T>,
    options: GetOrSetOptions | undefined,
    stale: Found | undefined,
  ): Promise<T> {
    const core = this.core;
    core.counters.loaderCalls++;
    const run = (async () => {
      const value = await loader();
      if (value !== undefined) {
        const { env, data, px } = this.envelope(full, value, options);
        await this.write(full, env, data, px, false);
      }
      return value;
    })();
    if (!stale || stale.g <= Date.now()) return run;
    const serveStale = (reason: 'error' | 'timeout', error?: unknown): T => {
      core.counters.stale++;
      core.emit('stale', { key: full, reason, error });
      core.logger.warn({ key: full, reason }, 'cache: serving stale value');
      return stale.value as T;
    };
    const guarded = run.catch((error: unknown) => serveStale('error', error));
    if (options?.timeout === undefined) return guarded;
    const ms = parseDuration(options.timeout, 'timeout');
    let timer: NodeJS.Timeout | undefined;
    const soft = new Promise<typeof STALE_TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(STALE_TIMEOUT), ms);
    });
    const winner = await Promise.race([guarded, soft]);
    clearTimeout(timer);
    if (winner === STALE_TIMEOUT) {
      run.catch((error: unknown) =>
        core.logger.warn(
          { key: full, err: error instanceof Error ? error.message : String(error) },
          'cache: background refresh failed',
        ),
      );
      return serveStale('timeout');
    }
    return winner;
  }

  /**
   * Distributed single-flight: SET NX PX a lock with a random token; the holder loads, stores,
   * releases (compare-and-delete) and announces on the bus; the others wait for that message
   * (or the lock's expiry) instead of polling, then read the value.
   */
  private async fillLocked<T>(
    full: string,
    loader: () => T | Promise<T>,
    options: GetOrSetOptions,
    stale: Found | undefined,
  ): Promise<T> {
    const core = this.core;
    if (!(await core.ensureSubscriber())) return this.load(full, loader, options, stale);
    const lockKey = core.lockKey(full);
    const token = randomBytes(12).toString('base64url');
    const deadline = Date.now() + core.lockWaitMs;
    while (Date.now() < deadline) {
      const got = await core.run('lock', (c) => c.set(lockKey, token, 'PX', core.lockTtlMs, 'NX'));
      if (got === FAIL) break;
      if (got === 'OK') {
        try {
          const again = await core.l2Get(full);
          if (again && again !== FAIL && again.e > Date.now()) return again.value as T;
          return await this.load(full, loader, options, stale);
        } finally {
          void core.run('unlock', (c) =>
            evalScript(c, RELEASE_LOCK, RELEASE_LOCK_SHA, [lockKey], [token]),
          );
          core.publish({ y: 'unlock', k: [full] }, true);
        }
      }
      // Someone else holds it: register for its announcement first, then check once.
      const pttl = await core.run('pttl', (c) => c.pttl(lockKey));
      const woken = core.waitFor(
        full,
        Math.min(pttl === FAIL || pttl < 0 ? 50 : pttl + 5, deadline - Date.now()),
      );
      const now = await core.l2Get(full);
      if (now && now !== FAIL && now.e > Date.now()) return now.value as T;
      await woken;
      const after = await core.l2Get(full);
      if (after && after !== FAIL && after.e > Date.now()) return after.value as T;
    }
    return this.load(full, loader, options, stale);
  }

  /**
   * Invalidates every entry carrying one of `tags`, lazily: one `{prefix}cache#tag:{tag}` key per
   * tag records the invalidation time; reads compare it with the entry's creation time. Returns
   * false when Redis could not record it (only L1 was invalidated).
   */
  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    const core = this.core;
    const list = [...new Set(tags)];
    if (list.length === 0) return true;
    const at = Date.now();
    for (const tag of list) core.tagTimes.set(tag, Math.max(at, core.tagTimes.get(tag) ?? 0));
    core.l1DropTags(list);
    if (!core.redis) return true;
    const ok = (await core.usable())
      ? await core.multiSet(
          list.map((tag) => ({ key: core.tagKey(tag), data: String(at), px: TAG_TTL_MS })),
        )
      : FAIL;
    if (ok === FAIL) {
      core.addPending('tags', list);
      return false;
    }
    core.publish({ y: 'tags', g: list, a: at });
    return true;
  }

  /**
   * Deletes keys of this namespace matching a Redis glob (`patients:*`), in both tiers and on every
   * instance. The namespace prefix is escaped and fixed, so the pattern cannot reach outside it.
   * SCAN + UNLINK in batches on every master. Returns how many Redis keys were removed.
   */
  async deleteByPattern(pattern: string): Promise<number> {
    if (typeof pattern !== 'string' || pattern.length === 0)
      throw new CacheConfigError('pattern', 'expected a non-empty glob');
    const core = this.core;
    const logical = escapeGlob(this.keyPrefix) + pattern;
    const local = core.l1DropPattern(logical);
    if (!core.redis) return local;
    const { count, complete } = (await core.usable())
      ? await core.scanDelete(logical)
      : { count: 0, complete: false };
    if (complete) core.publish({ y: 'pattern', p: logical });
    else {
      core.logger.warn(
        { pattern: logical, count },
        'cache: pattern delete incomplete (redis unavailable); queued for replay',
      );
      core.addPending('patterns', [logical]);
    }
    core.counters.deletes += count;
    return count;
  }

  /** Deletes every key of this namespace (and its sub-namespaces). Never FLUSHDB. */
  clear(): Promise<number> {
    return this.deleteByPattern('*');
  }

  /** A view whose keys live under `{this prefix}{name}:`; shares L1, bus, breaker and stats. */
  namespace(name: string): Cache {
    if (typeof name !== 'string' || name.length === 0)
      throw new CacheConfigError('namespace', 'expected a non-empty string');
    return new Cache(this.core, `${this.keyPrefix}${encodeSegment(name)}:`);
  }

  stats(): CacheStats {
    return this.core.stats();
  }

  on<K extends keyof CacheEvents>(event: K, listener: (payload: CacheEvents[K]) => void): this {
    this.core.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof CacheEvents>(event: K, listener: (payload: CacheEvents[K]) => void): this {
    this.core.emitter.off(event, listener);
    return this;
  }

  /** Resolves when the bus subscriber is subscribed (true) or cannot be (false). */
  ready(): Promise<boolean> {
    return this.core.busEnabled ? this.core.ensureSubscriber() : Promise.resolve(true);
  }

  /** Closes the bus subscriber. The Redis client you passed stays open (it is yours). */
  close(): Promise<void> {
    return this.core.close();
  }
}

/** Creates a cache: `createCache({ redis, prefix: 'dental:', defaultTtl: '5m', l1: { maxEntries: 10_000 } })`. */
export function createCache(options: CacheOptions): Cache {
  const core = new Core(options);
  return new Cache(core, `${core.root}:`);
}
