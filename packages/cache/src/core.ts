import { escapeGlob, silentLogger } from '@redis-toolkit/connection';
import { Bus } from './bus/bus.js';
import type { Codec } from './encryption/codec.js';
import { CodecRegistry } from './encryption/registry.js';
import { CacheUnavailableError } from './errors.js';
import type { CacheConfig } from './options/resolve.js';
import { Pending } from './replay/pending.js';
import { replayPending } from './replay/replay.js';
import { Telemetry } from './stats/stats.js';
import type { CacheStats } from './stats/types.js';
import { MemoryTier } from './tiers/memory.js';
import { RedisTier } from './tiers/redis.js';
import { TrackingInvalidation } from './tracking/invalidation.js';

/** After a replay failed for a reason other than an outage (a reply error), retry this much later. */
const REPLAY_RETRY_MS = 1000;

/**
 * Shared state behind a cache and all its namespaces: the tiers, bus, pending invalidations and
 * telemetry. Internal: the package exports only `Cache` (as a type) and `createCache`. Its Redis
 * read path (GET/MGET, decode, tag check, memory fill) is in core-read.ts.
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

  codecFor(key: string): Codec | undefined {
    return this.codecs.empty ? undefined : this.codecs.codecFor(key);
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
