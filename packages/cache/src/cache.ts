import {
  encodeKeySegment,
  refuseUnknownOptions,
  type ToolkitEvents,
} from '@redis-toolkit/connection';
import { Core } from './core.js';
import { resolveEncryption } from './encryption/resolve.js';
import type { NamespaceOptions } from './encryption/types.js';
import { CacheConfigError } from './errors.js';
import { getOrSet } from './get-or-set/get-or-set.js';
import type { Loader } from './get-or-set/load.js';
import { incr } from './ops/counter.js';
import { prepare, prepareEnvelope } from './ops/envelope.js';
import { deleteByPattern, invalidateTags } from './ops/invalidate.js';
import { type Lookup, lookup, mget, type Project, projected, quickGet } from './ops/read.js';
import { del, write, writeMany } from './ops/write.js';
import { ms, resolveCacheOptions } from './options/resolve.js';
import type {
  CacheOptions,
  GetOptions,
  GetOrSetOptions,
  IncrOptions,
  MsetEntry,
  SetOptions,
  WithMeta,
} from './options/types.js';
import type { CacheEvents, CacheStats } from './stats/types.js';
import type { Envelope } from './values.js';

/** What `getWithMeta` answers: the fresh value (or undefined) and where it came from. */
export interface GetMeta<T> {
  value: T | undefined;
  /** `undefined` for a miss. */
  source: 'l1' | 'redis' | 'stale' | undefined;
}

let make: (core: Core, keyPrefix: string) => Cache;

const valueOnly: Project<unknown> = (value) => value;

const withSource: Project<GetMeta<unknown>> = (value, source) => ({ value, source });

const freshValue = (result: Lookup): unknown => projected(result, valueOnly);

const metaOf = (result: Lookup): GetMeta<unknown> => projected(result, withSource);

const namespaceError = (field: string, message: string): Error =>
  new CacheConfigError(field, message);

/**
 * A two-tier cache (memory + Redis) or a namespace of one. With the default `'memory'` policy every
 * method answers even when Redis is down or hung (from memory / the loader), costing at most one
 * command timeout per outage.
 */
export class Cache {
  /** Full key prefix of this namespace, e.g. `dental:cache:patients:` (without the ioredis keyPrefix). */
  readonly keyPrefix: string;
  readonly #core: Core;

  // private, so the declaration files name no internal type; instances come from `make`
  private constructor(core: Core, keyPrefix: string) {
    this.#core = core;
    this.keyPrefix = keyPrefix;
  }

  static {
    make = (core, keyPrefix) => new Cache(core, keyPrefix);
  }

  /** The shared events of this cache (`hit`, `miss`, `stale`, `error`, `fallback`), counted in `stats()`. */
  get events(): Pick<ToolkitEvents, 'on'> {
    return this.#core.telemetry.events;
  }

  #full(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new CacheConfigError('key', 'expected a non-empty string');
    }
    const full = this.keyPrefix + key;
    if (this.#core.isInternal(full)) {
      throw new CacheConfigError('key', 'keys starting with "#" are reserved at the top level');
    }
    return full;
  }

  /**
   * The fresh value, or undefined (miss, expired, invalidated, or Redis unavailable and not in
   * memory). Not `async`: the common read is the runtime's call plus one `.then`.
   */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    try {
      const core = this.#core;
      const full = this.#full(key);
      const tags = options?.tags;
      return (quickGet(core, full, 'get', tags, valueOnly) ??
        lookup(core, full, 'get', tags, freshValue)) as Promise<T | undefined>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `get` that also says where the value came from (`'stale'`: an outage served the memory copy). */
  getWithMeta<T = unknown>(key: string, options?: GetOptions): Promise<GetMeta<T>> {
    try {
      const core = this.#core;
      const full = this.#full(key);
      const tags = options?.tags;
      return (quickGet(core, full, 'get', tags, withSource) ??
        lookup(core, full, 'get', tags, metaOf)) as Promise<GetMeta<T>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stores a value. True when Redis acknowledged it (or memory-only); false when Redis was
   * unavailable and only this instance's memory has it (`'memory'` policy). Throws for a value
   * that cannot be cached (nothing is written then), and under `'deny'` when Redis is unavailable.
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    const full = this.#full(key);
    return write(this.#core, full, prepare(this.#core, full, value, options), true, 'set');
  }

  /** Removes keys everywhere (and from every instance's memory). Returns how many Redis removed. */
  async del(keys: string | readonly string[]): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    return del(
      this.#core,
      list.map((k) => this.#full(k)),
    );
  }

  /** True when a fresh value exists. */
  async has(key: string): Promise<boolean> {
    const { source } = await lookup(this.#core, this.#full(key), 'has');
    return source !== undefined;
  }

  /** Seconds (rounded up) until the value expires, or undefined when there is no fresh value. */
  async ttl(key: string): Promise<number | undefined> {
    const { found, source } = await lookup(this.#core, this.#full(key), 'ttl');
    const left = source && found ? found.e - Date.now() : 0;
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /** Gives an existing fresh value a new TTL (tags and creation time kept). False when there is none. */
  async expire(key: string, ttl: SetOptions['ttl']): Promise<boolean> {
    const core = this.#core;
    const full = this.#full(key);
    const { found, source } = await lookup(core, full, 'expire');
    if (!found || !source) return false;
    const newTtl = ms(ttl, 'ttl', core.config.defaultTtlMs);
    const grace = found.g - found.e;
    const now = Date.now();
    const env: Envelope = { v: found.value, e: now + newTtl, g: now + newTtl + grace, c: found.c };
    if (found.t) env.t = found.t;
    await write(core, full, prepareEnvelope(core, full, env, newTtl + grace), true, 'expire');
    return true;
  }

  /** Many values in one round trip (MGET, or per-key GETs sent together on a Cluster). */
  async mget<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return (await mget(
      this.#core,
      keys.map((k) => this.#full(k)),
    )) as (T | undefined)[];
  }

  /** Stores many values in one round trip (true: Redis took them all). Every value is serialized first: one bad value writes nothing. */
  async mset(entries: readonly MsetEntry[]): Promise<boolean> {
    const items = entries.map((e) => {
      const full = this.#full(e.key);
      return { full, prepared: prepare(this.#core, full, e.value, e) };
    });
    return writeMany(this.#core, items);
  }

  /**
   * Adds `by` (default 1) to a counter and returns the new value: atomic in Redis (shared by every
   * instance), the TTL (`ttl`, default `defaultTtl`) set when the counter is created. Read it with
   * `get`. While Redis is unavailable (`'memory'` policy) it counts in this instance's memory.
   */
  async incr(key: string, by = 1, options?: IncrOptions): Promise<number> {
    const full = this.#full(key);
    if (this.#core.codecFor(full)) {
      // INCRBY works on the bare integer in Redis, which cannot be sealed
      throw new CacheConfigError(
        'encryption',
        'incr is not available in an encrypted namespace; count in one without encryption',
      );
    }
    return incr(this.#core, full, by, options);
  }

  /**
   * The cached value, or the loader's (stored, then returned). Concurrent calls for one key in this
   * process share one loader run; `lock: true` extends that across processes sharing Redis. With
   * `grace`, a stale value is served when the loader throws or is slower than `timeout`.
   */
  async getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    return (await getOrSet(this.#core, this.#full(key), loader, options)).value;
  }

  /** `getOrSet` that also says where the value came from: `'l1' | 'redis' | 'loader' | 'stale'`. */
  async getOrSetWithMeta<T>(
    key: string,
    loader: Loader<T>,
    options?: GetOrSetOptions,
  ): Promise<WithMeta<T>> {
    return getOrSet(this.#core, this.#full(key), loader, options);
  }

  /**
   * Invalidates every entry carrying one of `tags` (lazily: reads compare the tag's invalidation
   * time with the entry's creation time). False when Redis could not record it (replayed later).
   */
  invalidateTags(tags: readonly string[]): Promise<boolean> {
    return invalidateTags(this.#core, tags);
  }

  /** Deletes keys of this namespace matching a Redis glob (`patients:*`), everywhere. Returns Redis keys removed. */
  deleteByPattern(pattern: string): Promise<number> {
    return deleteByPattern(this.#core, this.keyPrefix, pattern);
  }

  /** Deletes every key of this namespace (and its sub-namespaces). Never FLUSHDB. */
  clear(): Promise<number> {
    return this.deleteByPattern('*');
  }

  /**
   * A view whose keys live under `{this prefix}{name}:` (name encoded); shares memory, bus and
   * stats. `encryption` seals this namespace's values (and its sub-namespaces') in Redis; a
   * namespace of an encrypted one is encrypted too.
   */
  namespace(name: string, options?: NamespaceOptions): Cache {
    if (typeof name !== 'string' || name.length === 0) {
      throw new CacheConfigError('namespace', 'expected a non-empty string');
    }
    const prefix = `${this.keyPrefix}${encodeKeySegment(name)}:`;
    if (this.#core.isInternal(prefix)) {
      throw new CacheConfigError(
        'namespace',
        'names starting with "#" are reserved at the top level',
      );
    }
    if (options !== undefined) {
      refuseUnknownOptions(options, ['encryption'], namespaceError, 'namespace');
      const codec = resolveEncryption(options.encryption);
      if (codec) this.#core.codecs.register(prefix, codec);
    }
    return make(this.#core, prefix);
  }

  stats(): CacheStats {
    return this.#core.stats();
  }

  /** Detailed cache events (keys, tiers, bus, replay). The shared ones are on `events`. */
  on<K extends keyof CacheEvents>(event: K, listener: (payload: CacheEvents[K]) => void): this {
    this.#core.telemetry.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof CacheEvents>(event: K, listener: (payload: CacheEvents[K]) => void): this {
    this.#core.telemetry.emitter.off(event, listener);
    return this;
  }

  /** Resolves when the bus subscriber is subscribed (true) or cannot be (false). */
  ready(): Promise<boolean> {
    return this.#core.bus.listening ? this.#core.bus.ensureSubscriber() : Promise.resolve(true);
  }

  /** Closes the bus subscriber. The Redis client you passed stays open (it is yours). */
  close(): Promise<void> {
    return this.#core.close();
  }
}

/**
 * Creates a cache: `createCache({ redis, prefix: 'dental:', defaultTtl: '5m' })`. Unknown options
 * throw CacheConfigError naming the nearest known one.
 */
export function createCache(options: CacheOptions = {}): Cache {
  const core = new Core(resolveCacheOptions(options));
  return make(core, core.root);
}
