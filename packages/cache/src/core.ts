import { escapeGlob, logSafeError, silentLogger } from '@redis-toolkit/connection';
import { Bus } from './bus/bus.js';
import type { Codec } from './encryption/codec.js';
import { CodecRegistry } from './encryption/registry.js';
import { CacheUnavailableError } from './errors.js';
import type { CacheConfig } from './options/resolve.js';
import { Pending } from './replay/pending.js';
import { replayPending } from './replay/replay.js';
import { Telemetry } from './stats/stats.js';
import type { CacheStats } from './stats/types.js';
import { decodeRaw } from './tiers/decode.js';
import { type Found, MemoryTier } from './tiers/memory.js';
import { FAIL, type Maybe, RedisTier } from './tiers/redis.js';
import { TrackingInvalidation } from './tracking/invalidation.js';
import type { Envelope } from './values.js';

const identity = <T>(value: T): T => value;

/** A tag key's value: its invalidation time (ms), 0 when it was never invalidated. */
const tagTime = (raw: string | Buffer | null | undefined): number =>
  raw === null || raw === undefined ? 0 : Number(raw.toString());

/** After a replay failed for a reason other than an outage (a reply error), retry this much later. */
const REPLAY_RETRY_MS = 1000;

/**
 * Shared state behind a cache and all its namespaces: the tiers, bus, pending invalidations and
 * telemetry. Internal: the package exports only `Cache` (as a type) and `createCache`.
 */
export class Core {
  readonly config: CacheConfig;
  readonly telemetry: Telemetry;
  readonly memory: MemoryTier;
  readonly redis: RedisTier | undefined;
  readonly bus: Bus;
  readonly pending: Pending;
  /** Server-assisted invalidation (CLIENT TRACKING); undefined with `l1.invalidation: 'bus'` or no memory. */
  readonly tracking: TrackingInvalidation | undefined;
  /** In-process single flight of getOrSet loaders, by full key. */
  readonly flights = new Map<string, Promise<unknown>>();
  /** `{prefix}cache:` */
  readonly root: string;
  /** Encrypted key prefixes (the root's `encryption`, namespaces given one). */
  readonly codecs = new CodecRegistry();
  /** Memory in front of Redis on every read ('tier' mode, or memory-only). */
  readonly tiered: boolean;
  /** Memory answers only when Redis does not ('fallback' mode with a memory bound > 0). */
  readonly fallback: boolean;
  private readonly internal: string;
  private replaying: Promise<boolean> | undefined;
  private retryAt = 0;
  private reportedDegraded = false;
  /** An outage was seen since the memory copy was last dropped (fallback mode). */
  private outageSeen = false;
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(config: CacheConfig) {
    this.config = config;
    this.root = config.namespace;
    this.internal = `${this.root}#`;
    this.telemetry = new Telemetry(this.root.slice(0, -1));
    this.memory = new MemoryTier(config);
    if (config.encryption) this.codecs.register(this.root, config.encryption);
    const runtime = config.runtime;
    this.redis = runtime
      ? new RedisTier(
          runtime,
          config.commandTimeoutMs,
          config.logger,
          this.telemetry,
          config.serializer.binary,
          config.durability,
        )
      : undefined;
    this.tiered = this.memory.enabled && (!runtime || config.mode === 'tier');
    this.fallback = Boolean(runtime) && this.memory.enabled && config.mode === 'fallback';
    const listening = Boolean(runtime) && this.memory.enabled && config.bus;
    this.bus = new Bus(
      this.redis,
      `${this.internal}bus`,
      listening,
      Boolean(runtime) && config.bus,
      this.memory,
      this.telemetry,
      config.logger,
      Math.max(5000, config.commandTimeoutMs * 4),
    );
    // entries of every namespace; internals (`#…`) are filtered out of pattern deletes
    this.pending = new Pending(config.maxPending, `${escapeGlob(this.root)}*`, config.logger);
    if (runtime) {
      this.unsubscribe.push(
        runtime.on('down', () => {
          this.outageSeen = true;
          this.syncDegraded();
        }),
        runtime.on('up', () => void this.recover()),
      );
      if (!runtime.available) this.outageSeen = true;
      if (listening) void this.bus.ensureSubscriber();
    }
    // 'auto' tracks only where memory answers while Redis is up ('tier'); 'fallback' copies are
    // served only during an outage, marked stale, and the bus keeps them coherent enough
    const track =
      config.invalidation === 'tracking' || (config.invalidation === 'auto' && this.tiered);
    if (runtime && this.memory.enabled && track) {
      this.tracking = new TrackingInvalidation({
        runtime,
        root: this.root,
        memory: this.memory,
        bus: this.bus,
        telemetry: this.telemetry,
        logger: this.logger,
        option: config.invalidation,
        tiered: this.tiered,
        commandTimeoutMs: config.commandTimeoutMs,
        tagKeyPrefix: `${this.internal}tag:`,
        lockKeyPrefix: `${this.internal}lock:`,
      });
      this.memory.guard = this.tracking;
    }
  }

  get logger() {
    return this.config.logger ?? silentLogger;
  }

  tagKey(tag: string): string {
    return `${this.internal}tag:${tag}`;
  }

  lockKey(key: string): string {
    return `${this.internal}lock:${key}`;
  }

  /** Keys of the cache's own bookkeeping (tags, locks), which pattern deletes never remove. */
  readonly isInternal = (key: string): boolean => key.startsWith(this.internal);

  /**
   * Redis could not serve `operation`: `'memory'` counts a fallback and lets the caller answer
   * from memory / the loader; `'deny'` throws CacheUnavailableError.
   */
  unavailable(operation: string, count = 1): void {
    this.outageSeen ||= this.fallback;
    if (this.config.policy === 'deny') {
      const outage = this.redis?.runtime.outage;
      throw new CacheUnavailableError(operation, outage);
    }
    this.telemetry.emit('fallback', operation, count);
    this.syncDegraded();
  }

  /** True while Redis must not be read: unavailable, or invalidations await replay. */
  get degraded(): boolean {
    const redis = this.redis;
    if (!redis) return false;
    return !redis.available || this.pending.size > 0;
  }

  /** Whether a call may use Redis now; with pending invalidations, replays them first (shared). */
  usable(): boolean | Promise<boolean> {
    const redis = this.redis;
    if (!redis?.available) return false;
    if (this.pending.size === 0) return true;
    if (!this.replaying && Date.now() < this.retryAt) return false;
    return this.recover();
  }

  /** Replays pending invalidations (one attempt at a time); true when Redis may be read again. */
  recover(): Promise<boolean> {
    const redis = this.redis;
    if (!redis || this.closed) return Promise.resolve(false);
    this.replaying ??= this.replayOnce(redis).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(redis: RedisTier): Promise<boolean> {
    let ok = redis.available;
    if (ok && this.pending.size > 0) {
      ok = await replayPending({
        redis,
        pending: this.pending,
        bus: this.bus,
        telemetry: this.telemetry,
        tagKey: (tag) => this.tagKey(tag),
        isInternal: this.isInternal,
        // detail of the runtime's outage, whose end it follows (one warn + one info per outage)
        log: (summary) =>
          this.logger.debug(
            summary,
            'cache: replayed invalidations made while redis was unavailable',
          ),
      });
    }
    if (!ok) {
      // an outage ends with the runtime's `up` (which calls us again); anything else retries later
      this.retryAt = Date.now() + REPLAY_RETRY_MS;
      if (redis.available) {
        const timer = setTimeout(() => void this.recover(), REPLAY_RETRY_MS);
        timer.unref?.();
      }
      this.syncDegraded();
      return false;
    }
    this.retryAt = 0;
    if (this.fallback && this.outageSeen) {
      // what this outage wrote exists only here and must never shadow Redis later
      this.outageSeen = false;
      this.memory.clear();
      this.logger.debug('cache: redis is back; memory fallback dropped');
    }
    this.syncDegraded();
    return true;
  }

  syncDegraded(): void {
    const active = this.degraded;
    if (active === this.reportedDegraded) return;
    this.reportedDegraded = active;
    this.telemetry.detail('degraded', { active });
  }

  /** GET one key from Redis, decoded and checked against its tags; FAIL when Redis did not answer. */
  l2Get(key: string, hint?: readonly string[]): Promise<Maybe<Found | undefined>> {
    return this.read(key, hint, identity);
  }

  /**
   * One Redis read of `key`, decoded and checked against its tags, handed to `next` (FAIL when
   * Redis did not answer) in the same `.then`: no async wrapper between the runtime's call and
   * the caller. The invalidation times of the tags the entry is expected to carry (`hint`, else
   * the tags of this instance's memory copy) travel with it: one MGET (per-key GETs written at
   * once on a Cluster, where tag keys live in other slots), so a tagged hit is one round trip.
   * Only an entry carrying tags nobody expected costs a second one.
   */
  read<R>(
    key: string,
    hint: readonly string[] | undefined,
    next: (l2: Maybe<Found | undefined>) => R | PromiseLike<R>,
  ): Promise<R> {
    const redis = this.redis;
    if (!redis?.available) return Promise.resolve(FAIL).then(next);
    const binary = redis.binary || (!this.codecs.empty && this.codecs.codecFor(key) !== undefined);
    const tags = this.tagsToFetch(key, hint);
    const failed = (error: unknown) => next(redis.failed('get', error, false));
    if (tags === undefined) {
      const client = redis.client;
      return redis
        .send<string | Buffer | null>('get', () =>
          binary ? client.getBuffer(key) : client.get(key),
        )
        .then((raw) => this.decodeThen(key, raw, undefined, next), failed);
    }
    const keys = [key];
    for (const tag of tags) keys.push(this.tagKey(tag));
    return redis
      .send('get', () => redis.mgetCall(keys, binary))
      .then((raws) => {
        const times = new Map<string, number>();
        const noted = this.tiered && this.bus.trusted;
        tags.forEach((tag, i) => {
          const at = tagTime(raws[i + 1]);
          times.set(tag, at);
          if (noted) this.bus.noteTags([tag], at);
        });
        return this.decodeThen(key, raws[0] ?? null, times, next);
      }, failed);
  }

  decodeThen<R>(
    key: string,
    raw: string | Buffer | null,
    times: Map<string, number> | undefined,
    next: (l2: Maybe<Found | undefined>) => R | PromiseLike<R>,
  ): R | PromiseLike<R> {
    const found = this.decode(key, raw, times);
    return found instanceof Promise ? found.then(next) : next(found as Found | undefined);
  }

  /** Tags whose invalidation times a read of `key` should fetch with it; undefined for none. */
  private tagsToFetch(key: string, hint: readonly string[] | undefined): string[] | undefined {
    const expected = hint ?? this.memory.peekTags(key);
    if (expected === undefined || expected.length === 0) return undefined;
    const unique = [...new Set(expected)];
    if (!(this.tiered && this.bus.trusted)) return unique;
    const known = this.bus.tagTimes;
    const missing = unique.filter((tag) => !known.has(tag));
    return missing.length > 0 ? missing : undefined;
  }

  codecFor(key: string): Codec | undefined {
    return this.codecs.empty ? undefined : this.codecs.codecFor(key);
  }

  /**
   * What Redis held, opened: the plaintext the serializer reads, or undefined (a miss, counted)
   * when the key is encrypted and the value is not a sealed value of one of its keys.
   */
  private open(key: string, raw: string | Buffer): string | Buffer | undefined {
    const codec = this.codecFor(key);
    if (!codec) return raw;
    const sealed = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    const opened = codec.open(key, sealed, !this.config.serializer.binary);
    if (opened.failure === undefined) return opened.data;
    const reason = opened.failure;
    this.telemetry.counters.decryptFailures++;
    this.telemetry.emit('error', 'decrypt', 1, reason);
    this.telemetry.detail('decrypt:error', { key, reason });
    this.logger.debug({ key, reason }, 'cache: encrypted value not served');
    // this instance's copy must not outlive what Redis now holds
    this.memory.delete(key);
    return undefined;
  }

  /**
   * Decodes what Redis held for `key` (undefined for none, undecodable or tag-invalidated).
   * Synchronous unless a tag's invalidation time is not at hand (`tagTimes`, the trusted bus
   * map) or the entry is a counter (PTTL).
   */
  decode(
    key: string,
    sealed: string | Buffer | null,
    tagTimes?: Map<string, number>,
  ): Found | undefined | Promise<Found | undefined> {
    if (sealed === null) return undefined;
    const raw = this.codecs.empty ? sealed : this.open(key, sealed);
    if (raw === undefined) return undefined;
    const decoded = decodeRaw(this.config.serializer, raw);
    if (decoded === undefined) return undefined;
    if (decoded instanceof Error) {
      this.logger.warn(
        { key, err: logSafeError(decoded).message },
        'cache: undecodable entry ignored',
      );
      return undefined;
    }
    if (decoded.counter) return this.counterFound(key, decoded.env.v as number);
    return this.checked(key, decoded.env, raw, tagTimes);
  }

  /**
   * An envelope read from Redis, checked against its tags (undefined when one was invalidated
   * after it was written, or cannot be verified) and kept in memory when accepted.
   */
  checked(
    key: string,
    env: Envelope,
    raw: string | Buffer,
    tagTimes: Map<string, number> | undefined,
  ): Found | undefined | Promise<Found | undefined> {
    const tags = env.t;
    if (tags === undefined || tags.length === 0) return this.accept(key, env, raw);
    const verdict = this.tagVerdict(tags, env.c, tagTimes);
    if (verdict === true) return this.accept(key, env, raw);
    if (verdict === false) return undefined;
    return this.tagTimesFor(tags, tagTimes).then((times) => {
      // cannot verify tags: treat as a miss
      if (times === undefined || this.tagVerdict(tags, env.c, times) !== true) return undefined;
      return this.accept(key, env, raw);
    });
  }

  /**
   * True: no tag was invalidated after `created`; false: one was (known to be wrong, unlike
   * expired, so never served as stale); undefined: a tag's time is not at hand.
   */
  private tagVerdict(
    tags: readonly string[],
    created: number,
    times: Map<string, number> | undefined,
  ): boolean | undefined {
    const bus = this.tiered && this.bus.trusted ? this.bus.tagTimes : undefined;
    let known = true;
    for (const tag of tags) {
      const at = times?.get(tag) ?? bus?.get(tag);
      if (at === undefined) known = false;
      else if (at >= created) return false;
    }
    return known ? true : undefined;
  }

  private accept(key: string, env: Envelope, raw: string | Buffer): Found | undefined {
    if (env.g <= Date.now()) return undefined;
    if (this.memory.enabled) this.memory.setRead(key, env, raw, this.fallback);
    return { value: env.v, e: env.e, g: env.g, c: env.c, t: env.t, tier: 'l2', copy: false };
  }

  /** A counter written by `incr`: its expiry comes from PTTL (one more call, only for counters). */
  private async counterFound(key: string, value: number): Promise<Found | undefined> {
    const pttl = await this.redis?.run('pttl', (c) => c.pttl(key));
    if (pttl === undefined || pttl === FAIL || pttl === -2) return undefined;
    const now = Date.now();
    const end = pttl < 0 ? Number.MAX_SAFE_INTEGER : now + pttl;
    if (this.fallback) this.memory.setEnvelope(key, { v: value, e: end, g: end, c: now }, true);
    return { value, e: end, g: end, c: now, t: undefined, tier: 'l2', copy: false };
  }

  /**
   * Invalidation time of each tag: from `prefetched`, the bus-maintained map when trustworthy,
   * else one MGET for the rest.
   */
  async tagTimesFor(
    tags: readonly string[],
    prefetched?: Map<string, number>,
  ): Promise<Map<string, number> | undefined> {
    const out = new Map<string, number>();
    const known = this.tiered && this.bus.trusted;
    const missing: string[] = [];
    for (const tag of tags) {
      const at = prefetched?.get(tag) ?? (known ? this.bus.tagTimes.get(tag) : undefined);
      if (at !== undefined) out.set(tag, at);
      else if (!missing.includes(tag)) missing.push(tag);
    }
    if (missing.length === 0) return out;
    const res = await this.redis?.multiGet(
      missing.map((t) => this.tagKey(t)),
      'get tags',
    );
    if (res === undefined || res === FAIL) return undefined;
    missing.forEach((tag, i) => {
      const at = tagTime(res[i]);
      out.set(tag, at);
      if (known) this.bus.noteTags([tag], at);
    });
    return out;
  }

  stats(): CacheStats {
    const runtime = this.redis?.runtime;
    return {
      ...this.telemetry.events.snapshot(),
      ...this.telemetry.counters,
      pendingInvalidations: this.pending.size,
      degraded: this.degraded,
      l1: { entries: this.memory.size, bytes: this.memory.bytes },
      invalidation: this.tracking?.mode ?? (this.bus.listening ? 'bus' : 'none'),
      redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.bus.flush();
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.redis?.close();
    await Promise.all([this.tracking?.close(), this.bus.close()]);
  }
}
