import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger, RedisClient } from '@redis-toolkit/connection';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { CircuitBreaker } from './breaker.js';
import { parseDuration } from './duration.js';
import { CacheCircuitOpenError, CacheConfigError, CacheTimeoutError } from './errors.js';
import { escapeGlob, globToRegExp } from './keys.js';
import { jsonSerializer, type Serializer, sizeOf } from './serializer.js';
import type { CacheEvents, CacheOptions, CacheStats } from './types.js';
import { deepFreezeIfPlain, type Envelope, isEnvelope } from './values.js';

/** Returned by `Core.run` when Redis did not answer (absent, failed, timed out, circuit open). */
export const FAIL: unique symbol = Symbol('redis-unavailable');
export type Maybe<T> = T | typeof FAIL;

/** What L1 holds: the serialized envelope, or (freeze mode, plain data) the deep-frozen value. */
export interface L1Entry {
  data: string | Buffer | undefined;
  value: unknown;
  frozen: boolean;
  e: number;
  g: number;
  c: number;
  t: string[] | undefined;
  size: number;
}

/** An entry found in either tier, with its value ready to hand out. */
export interface Found {
  value: unknown;
  e: number;
  g: number;
  c: number;
  t: string[] | undefined;
  tier: 'l1' | 'l2';
}

interface BusMessage {
  /** sender instance id */
  i: string;
  /** sent at (ms since epoch, sub-ms precision) */
  s: number;
  /** type */
  y: 'set' | 'del' | 'tags' | 'pattern' | 'unlock';
  k?: string[];
  g?: string[];
  a?: number;
  p?: string;
}

const now = (): number => Date.now();
const noop = (): void => {};
/** Feature packages import only types from connection, so the silent default lives here. */
const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Longest time an invalidation waits to share one PUBLISH with others. */
export const BUS_BATCH_MS = 2;
const preciseNow = (): number => performance.timeOrigin + performance.now();
/** Tag invalidation keys outlive any entry (400 days). */
export const TAG_TTL_MS = 400 * 86_400_000;

/** Shared state behind a cache and all its namespaces: tiers, breaker, bus, counters. */
export class Core {
  readonly redis: RedisClient | undefined;
  readonly isCluster: boolean;
  /** ioredis keyPrefix (applied by the client to keys, not to SCAN MATCH). */
  readonly ioPrefix: string;
  /** `{prefix}cache` — entries live under `{root}:`, internals under `{root}#`. */
  readonly root: string;
  readonly serializer: Serializer;
  readonly logger: Logger;
  readonly l1: LRUCache<string, L1Entry> | undefined;
  readonly l1TtlMs: number | undefined;
  /** L1 mode 'fallback' with a Redis client: L1 only while Redis fails. */
  readonly fallback: boolean;
  /** L1 in front of Redis on every call ('tier' mode, or a memory-only cache). */
  readonly tiered: boolean;
  readonly maxPending: number;
  readonly freezeMode: boolean;
  readonly defaultTtlMs: number;
  readonly defaultGraceMs: number;
  readonly commandTimeoutMs: number;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly breaker: CircuitBreaker | undefined;
  readonly emitter = new EventEmitter();
  readonly flights = new Map<string, Promise<unknown>>();
  readonly instanceId = randomUUID();
  readonly busEnabled: boolean;
  /** Publish invalidations (also from an instance without L1, so others drop theirs). */
  readonly publishEnabled: boolean;
  readonly channel: string;
  /** Tag → last invalidation time; only trusted while the bus subscriber is connected. */
  readonly tagTimes = new Map<string, number>();
  readonly counters = {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    stale: 0,
    sets: 0,
    deletes: 0,
    loaderCalls: 0,
    errors: 0,
    timeouts: 0,
    fallbacks: 0,
    busReceived: 0,
    replayed: 0,
  };
  /** Invalidations Redis could not take, replayed (deduplicated) when it answers again. */
  readonly pending = {
    tags: new Set<string>(),
    keys: new Set<string>(),
    patterns: new Set<string>(),
  };
  /** Fallback mode: Redis failed and has not answered since (answers come from L1). */
  private outage = false;
  private reportedDegraded = false;
  private recovery: Promise<boolean> | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  /** After a failed recovery, calls answer without Redis until the next background attempt. */
  private retryAt = 0;
  private readonly recoveryIntervalMs: number;
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<boolean> | undefined;
  private subscriberReady = false;
  private readyCount = 0;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(options: CacheOptions) {
    if (options === null || typeof options !== 'object') {
      throw new CacheConfigError('options', 'expected an object');
    }
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string') throw new CacheConfigError('prefix', 'expected a string');
    if (!options.redis && !options.l1) {
      throw new CacheConfigError('redis', 'give a Redis client, an l1 option, or both');
    }
    this.redis = options.redis;
    this.isCluster = Boolean(options.redis && (options.redis as Cluster).isCluster);
    this.ioPrefix = keyPrefixOf(options.redis);
    this.root = `${prefix}cache`;
    this.channel = `${this.root}#bus`;
    this.serializer = options.serializer ?? jsonSerializer;
    this.logger = options.logger ?? silentLogger;
    this.defaultTtlMs = parseDuration(options.defaultTtl ?? '1h', 'defaultTtl');
    this.defaultGraceMs = parseDuration(options.defaultGrace ?? 0, 'defaultGrace');
    this.commandTimeoutMs = options.commandTimeoutMs ?? 500;
    if (!(this.commandTimeoutMs > 0))
      throw new CacheConfigError('commandTimeoutMs', 'expected a positive number');
    this.lockTtlMs = parseDuration(options.lock?.ttl ?? '10s', 'lock.ttl');
    this.lockWaitMs = parseDuration(options.lock?.wait ?? '15s', 'lock.wait');
    const l1 = options.l1;
    if (l1) {
      if (!Number.isInteger(l1.maxEntries) || l1.maxEntries <= 0) {
        throw new CacheConfigError('l1.maxEntries', 'expected a positive integer');
      }
      if (l1.maxBytes !== undefined && !(l1.maxBytes > 0)) {
        throw new CacheConfigError('l1.maxBytes', 'expected a positive number of bytes');
      }
      if (l1.copy !== undefined && l1.copy !== 'freeze' && l1.copy !== 'clone') {
        throw new CacheConfigError('l1.copy', "expected 'freeze' or 'clone'");
      }
      if (l1.mode !== undefined && l1.mode !== 'tier' && l1.mode !== 'fallback') {
        throw new CacheConfigError('l1.mode', "expected 'tier' or 'fallback'");
      }
      this.l1TtlMs = l1.ttl === undefined ? undefined : parseDuration(l1.ttl, 'l1.ttl');
      this.freezeMode = (l1.copy ?? 'freeze') === 'freeze';
      this.l1 = new LRUCache<string, L1Entry>({
        max: l1.maxEntries,
        // sizes are always tracked (stats().l1.bytes); bounded only when maxBytes is given
        ...(l1.maxBytes ? { maxSize: l1.maxBytes } : { maxEntrySize: Number.MAX_SAFE_INTEGER }),
        sizeCalculation: (entry: L1Entry) => entry.size,
        ttlAutopurge: false,
      });
    } else {
      this.l1TtlMs = undefined;
      this.freezeMode = true;
    }
    this.fallback = Boolean(this.redis && this.l1 && options.l1?.mode === 'fallback');
    this.tiered = Boolean(this.l1) && !this.fallback;
    this.maxPending = options.maxPendingInvalidations ?? 1000;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) {
      throw new CacheConfigError('maxPendingInvalidations', 'expected a positive integer');
    }
    // Fallback mode reads Redis on every call (tag times included), so it needs no bus subscriber.
    this.busEnabled = Boolean(this.redis && this.tiered && options.bus !== false);
    this.publishEnabled = Boolean(this.redis && options.bus !== false);
    let cooldownMs = 1000;
    if (options.circuitBreaker !== false && this.redis) {
      const cb = options.circuitBreaker ?? {};
      const threshold = cb.failureThreshold ?? 5;
      if (!Number.isInteger(threshold) || threshold < 1) {
        throw new CacheConfigError(
          'circuitBreaker.failureThreshold',
          'expected a positive integer',
        );
      }
      cooldownMs = parseDuration(cb.cooldown ?? '2s', 'circuitBreaker.cooldown');
      this.breaker = new CircuitBreaker(threshold, cooldownMs, (state) => {
        this.logger.warn({ state }, `cache: redis circuit ${state}`);
        this.emit('circuit', { state });
      });
    }
    // after a failed recovery, the next attempt (in the background) comes this much later: one
    // breaker probe per cool-down; without a breaker, once a second
    this.recoveryIntervalMs = Math.max(50, cooldownMs + 10);
    if (this.busEnabled) void this.ensureSubscriber();
  }

  emit<K extends keyof CacheEvents>(event: K, payload: CacheEvents[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  // ---------------------------------------------------------------- Redis calls

  /**
   * Runs one Redis call under the breaker and `commandTimeoutMs`. Never throws: returns FAIL
   * (counted, logged, emitted) when Redis is absent, failing, slow or the circuit is open.
   */
  run<T>(operation: string, call: (client: RedisClient) => Promise<T>): Promise<Maybe<T>> {
    const client = this.redis;
    if (!client || this.closed) return Promise.resolve(FAIL);
    if (this.breaker && !this.breaker.allow()) {
      this.counters.fallbacks++;
      this.noteFailure();
      this.emit('redis:error', { operation, error: new CacheCircuitOpenError() });
      return Promise.resolve(FAIL);
    }
    return new Promise<Maybe<T>>((resolve) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.counters.errors++;
        this.counters.fallbacks++;
        if (error instanceof CacheTimeoutError) this.counters.timeouts++;
        this.breaker?.failure();
        this.noteFailure();
        this.logger.warn(
          { operation, err: error instanceof Error ? error.message : String(error) },
          'cache: redis call failed; falling back',
        );
        this.emit('redis:error', { operation, error });
        resolve(FAIL);
      };
      // one timer per call; it races the reply and the later reply (if any) is ignored
      const timer = setTimeout(
        () => fail(new CacheTimeoutError(operation, this.commandTimeoutMs)),
        this.commandTimeoutMs,
      );
      let pending: Promise<T>;
      try {
        pending = call(client);
      } catch (error) {
        fail(error);
        return;
      }
      pending.then((value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.breaker?.success();
        resolve(value);
      }, fail);
    });
  }

  /** GET of many keys: one MGET on a single node; per-key GETs (sent together) on a Cluster. */
  multiGet(keys: string[]): Promise<Maybe<(string | Buffer | null)[]>> {
    const binary = this.serializer.binary;
    return this.run<(string | Buffer | null)[]>('mget', (c) => {
      if (this.isCluster) return Promise.all(keys.map((k) => (binary ? c.getBuffer(k) : c.get(k))));
      return binary ? c.mgetBuffer(...keys) : c.mget(...keys);
    });
  }

  /** SET PX of many keys in one round trip: a pipeline on a single node, per-key SETs on a Cluster. */
  multiSet(items: { key: string; data: string | Buffer; px: number }[]): Promise<Maybe<unknown>> {
    return this.run('mset', async (c) => {
      if (this.isCluster) return Promise.all(items.map((i) => c.set(i.key, i.data, 'PX', i.px)));
      const p = (c as Redis).pipeline();
      for (const i of items) p.set(i.key, i.data, 'PX', i.px);
      const res = await p.exec();
      const failed = res?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      return res;
    });
  }

  /** UNLINK of many keys (per key on a Cluster). Returns the count removed. */
  unlink(keys: string[]): Promise<Maybe<number>> {
    return this.run('unlink', async (c) => {
      if (this.isCluster)
        return (await Promise.all(keys.map((k) => c.unlink(k)))).reduce((a, b) => a + b, 0);
      return c.unlink(...keys);
    });
  }

  /**
   * SCAN MATCH + UNLINK in batches on every master. `logicalPattern` is without the ioredis
   * keyPrefix; SCAN does not apply it, so it is added (escaped) here, and stripped again before
   * UNLINK because the node client re-applies its own prefix.
   */
  async scanDelete(logicalPattern: string): Promise<{ count: number; complete: boolean }> {
    const client = this.redis;
    if (!client) return { count: 0, complete: false };
    const nodes: Redis[] = this.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    const match = escapeGlob(this.ioPrefix) + logicalPattern;
    let count = 0;
    for (const node of nodes) {
      const nodePrefix = node.options.keyPrefix ?? '';
      let cursor = '0';
      do {
        const page = await this.run('scan', () => node.scan(cursor, 'MATCH', match, 'COUNT', 1000));
        if (page === FAIL) return { count, complete: false };
        cursor = page[0];
        const keys = page[1].map((k) =>
          nodePrefix && k.startsWith(nodePrefix) ? k.slice(nodePrefix.length) : k,
        );
        if (keys.length === 0) continue;
        const removed = await this.run('unlink', async () => {
          if (!this.isCluster) return node.unlink(...keys);
          const p = node.pipeline();
          for (const k of keys) p.unlink(k);
          const res = (await p.exec()) ?? [];
          return res.reduce((a, [err, n]) => a + (err ? 0 : Number(n)), 0);
        });
        if (removed === FAIL) return { count, complete: false };
        count += removed;
      } while (cursor !== '0');
    }
    return { count, complete: true };
  }

  // ---------------------------------------------------------------- tiers

  ttlFor(ms: number): number | undefined {
    return this.l1TtlMs === undefined ? ms : Math.min(ms, this.l1TtlMs);
  }

  /** Put a serialized envelope into L1 (the value is deserialized lazily on the first hit). */
  l1SetData(key: string, env: Envelope, data: string | Buffer): void {
    const l1 = this.l1;
    if (!l1) return;
    const left = env.g - now();
    if (left <= 0) return;
    const ttl = this.ttlFor(left);
    l1.set(
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
      },
      ttl ? { ttl } : {},
    );
  }

  /** Value of an L1 entry: the frozen object (freeze mode, plain data) or a fresh deserialized copy. */
  l1Value(entry: L1Entry): unknown {
    if (entry.frozen) return entry.value;
    const env = this.serializer.deserialize(entry.data as string | Buffer) as Envelope;
    if (this.freezeMode && deepFreezeIfPlain(env.v)) {
      entry.value = env.v;
      entry.frozen = true;
      entry.data = undefined;
    }
    return env.v;
  }

  /** L1 entry that is still within its grace window (fresh or stale), or undefined. */
  l1Get(key: string): L1Entry | undefined {
    const entry = this.l1?.get(key);
    if (!entry) return undefined;
    if (entry.g <= now()) {
      this.l1?.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Deserializes L2 data into a Found, applies tag invalidation and fills L1. */
  async fromL2(
    key: string,
    raw: string | Buffer | null,
    tagTimes?: Map<string, number>,
  ): Promise<Found | undefined> {
    if (raw === null) return undefined;
    let env: unknown;
    try {
      env = this.serializer.deserialize(raw);
    } catch (error) {
      this.logger.warn(
        { key, err: error instanceof Error ? error.message : String(error) },
        'cache: undecodable entry ignored',
      );
      return undefined;
    }
    if (!isEnvelope(env)) return undefined;
    if (env.t && env.t.length > 0) {
      const times = tagTimes ?? (await this.tagTimesFor(env.t));
      if (times === undefined) return undefined; // cannot verify tags: treat as a miss
      for (const tag of env.t) {
        const at = times.get(tag);
        // Invalidated means known to be wrong, unlike expired (merely old): never served as stale.
        if (at !== undefined && at >= env.c) return undefined;
      }
    }
    if (env.g <= now()) return undefined;
    const value = env.v;
    if (this.l1 && this.tiered) {
      const ttl = this.ttlFor(env.g - now());
      if (this.freezeMode && deepFreezeIfPlain(env.v)) {
        this.l1.set(
          key,
          {
            data: undefined,
            value: env.v,
            frozen: true,
            e: env.e,
            g: env.g,
            c: env.c,
            t: env.t,
            size: sizeOf(raw) + key.length + 64,
          },
          ttl ? { ttl } : {},
        );
      } else {
        // L1 keeps the serialized form; env.v was just deserialized, so the caller owns it
        this.l1SetData(key, env, raw);
      }
    }
    return { value, e: env.e, g: env.g, c: env.c, t: env.t, tier: 'l2' };
  }

  /** GET one key from Redis; FAIL when Redis did not answer. */
  async l2Get(key: string): Promise<Maybe<Found | undefined>> {
    const raw = await this.run<string | Buffer | null>('get', (c) =>
      this.serializer.binary ? c.getBuffer(key) : c.get(key),
    );
    if (raw === FAIL) return FAIL;
    return this.fromL2(key, raw);
  }

  /** Invalidation time of each tag (from the bus-maintained map when trustworthy, else Redis). */
  async tagTimesFor(tags: string[]): Promise<Map<string, number> | undefined> {
    const out = new Map<string, number>();
    const useCache = this.busEnabled && this.subscriberReady;
    const missing: string[] = [];
    for (const tag of tags) {
      const known = useCache ? this.tagTimes.get(tag) : undefined;
      if (known !== undefined) out.set(tag, known);
      else missing.push(tag);
    }
    if (missing.length === 0) return out;
    const res = await this.multiGet(missing.map((t) => this.tagKey(t)));
    if (res === FAIL) return undefined;
    missing.forEach((tag, i) => {
      const raw = res[i];
      const at = raw === null || raw === undefined ? 0 : Number(raw.toString());
      out.set(tag, at);
      if (useCache) this.tagTimes.set(tag, Math.max(at, this.tagTimes.get(tag) ?? 0));
    });
    return out;
  }

  tagKey(tag: string): string {
    return `${this.root}#tag:${tag}`;
  }

  lockKey(key: string): string {
    return `${this.root}#lock:${key}`;
  }

  /** Drops L1 entries carrying any of `tags`. */
  l1DropTags(tags: string[]): void {
    if (!this.l1) return;
    const set = new Set(tags);
    for (const [key, entry] of this.l1.entries()) {
      if (entry.t?.some((t) => set.has(t))) this.l1.delete(key);
    }
  }

  /** Drops L1 entries whose key matches a Redis glob. Returns how many. */
  l1DropPattern(pattern: string): number {
    if (!this.l1) return 0;
    const re = globToRegExp(pattern);
    let n = 0;
    for (const key of [...this.l1.keys()]) {
      if (re.test(key)) {
        this.l1.delete(key);
        n++;
      }
    }
    return n;
  }

  resetL1(reason: string): void {
    this.l1?.clear();
    this.tagTimes.clear();
    this.logger.info({ reason }, 'cache: L1 dropped');
    this.emit('bus:reset', { reason });
  }

  // ---------------------------------------------------------------- outage and replay

  /** True while Redis must not be used: invalidations await replay, or (fallback) Redis failed. */
  get degraded(): boolean {
    return this.outage || this.pendingSize() > 0;
  }

  pendingSize(): number {
    const p = this.pending;
    return p.tags.size + p.keys.size + p.patterns.size;
  }

  /** Glob of every entry of this cache (all namespaces): what an overflowed pending set replays as. */
  get everything(): string {
    return `${escapeGlob(this.root)}:*`;
  }

  /**
   * Whether a call may use Redis now. When degraded, first replays pending invalidations (one
   * attempt shared by concurrent callers; the breaker's half-open probe when the circuit is open).
   */
  usable(): boolean | Promise<boolean> {
    if (!this.degraded) return true;
    return this.recover();
  }

  /** A Redis call failed: in fallback mode, switch to L1 (dropping leftovers of an earlier outage). */
  private noteFailure(): void {
    if (this.closed || !this.fallback || this.outage) return;
    this.outage = true;
    this.l1?.clear();
    this.logger.warn('cache: redis unavailable; answering from memory (fallback mode)');
    this.syncDegraded();
    this.scheduleRecovery();
  }

  /** Records an invalidation Redis could not take, for replay. Bounded: see `maxPendingInvalidations`. */
  addPending(kind: 'tags' | 'keys' | 'patterns', values: readonly string[]): void {
    if (!this.redis || values.length === 0) return;
    const p = this.pending;
    const all = this.everything;
    if (p.patterns.has(all)) return; // the whole namespace will be cleared anyway
    for (const v of values) p[kind].add(v);
    if (kind === 'patterns' && values.includes(all)) {
      p.tags.clear();
      p.keys.clear();
      p.patterns.clear();
      p.patterns.add(all);
    } else if (this.pendingSize() > this.maxPending) {
      this.logger.error(
        { max: this.maxPending, pattern: all },
        'cache: too many invalidations pending while redis is unavailable; ' +
          'the whole cache namespace will be cleared when redis is back',
      );
      p.tags.clear();
      p.keys.clear();
      p.patterns.clear();
      p.patterns.add(all);
    }
    this.syncDegraded();
    this.scheduleRecovery();
  }

  private syncDegraded(): void {
    const active = this.degraded;
    if (active === this.reportedDegraded) return;
    this.reportedDegraded = active;
    this.emit('degraded', { active });
  }

  private scheduleRecovery(): void {
    if (this.recoveryTimer || this.closed || !this.redis) return;
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = undefined;
      if (this.degraded) void this.recover(true);
    }, this.recoveryIntervalMs);
    this.recoveryTimer.unref?.();
  }

  /**
   * Replays pending invalidations (or PINGs); true when Redis may be used again. After a failed
   * attempt, calls get false at once until the background retry (`force`) has run.
   */
  recover(force = false): Promise<boolean> {
    if (!this.degraded) return Promise.resolve(true);
    if (this.closed || !this.redis) return Promise.resolve(false);
    if (!force && !this.recovery && now() < this.retryAt) return Promise.resolve(false);
    this.recovery ??= this.replay().finally(() => {
      this.recovery = undefined;
    });
    return this.recovery;
  }

  private async replay(): Promise<boolean> {
    const p = this.pending;
    const tags = [...p.tags];
    const keys = [...p.keys];
    const patterns = [...p.patterns];
    const total = tags.length + keys.length + patterns.length;
    let ok = true;
    if (total === 0) {
      ok = (await this.run('ping', (c) => c.ping())) !== FAIL;
    } else {
      if (tags.length > 0) {
        // Replay time, not the original time: entries written meanwhile are dropped too (safe).
        const at = now();
        const res = await this.multiSet(
          tags.map((tag) => ({ key: this.tagKey(tag), data: String(at), px: TAG_TTL_MS })),
        );
        if (res === FAIL) ok = false;
        else {
          for (const tag of tags) {
            p.tags.delete(tag);
            this.tagTimes.set(tag, Math.max(at, this.tagTimes.get(tag) ?? 0));
          }
          this.publish({ y: 'tags', g: tags, a: at });
        }
      }
      if (ok && keys.length > 0) {
        if ((await this.unlink(keys)) === FAIL) ok = false;
        else {
          for (const key of keys) p.keys.delete(key);
          this.publish({ y: 'del', k: keys });
        }
      }
      for (const pattern of patterns) {
        if (!ok) break;
        if (!(await this.scanDelete(pattern)).complete) ok = false;
        else {
          p.patterns.delete(pattern);
          this.publish({ y: 'pattern', p: pattern });
        }
      }
    }
    if (!ok || this.pendingSize() > 0) {
      this.retryAt = now() + this.recoveryIntervalMs;
      this.scheduleRecovery();
      return false;
    }
    this.retryAt = 0;
    if (total > 0) {
      this.counters.replayed += total;
      const cleared = patterns.includes(this.everything);
      this.logger.info(
        { tags: tags.length, keys: keys.length, patterns: patterns.length, cleared },
        'cache: replayed invalidations made while redis was unavailable',
      );
      this.emit('replay', {
        tags: tags.length,
        keys: keys.length,
        patterns: patterns.length,
        cleared,
      });
    }
    if (this.outage) {
      this.outage = false;
      // nothing written during the outage may shadow Redis
      this.l1?.clear();
      this.logger.info('cache: redis is back; memory fallback dropped');
    }
    this.syncDegraded();
    return true;
  }

  // ---------------------------------------------------------------- bus

  /** Subscribes (once) on a duplicate connection; resolves true when subscribed. */
  ensureSubscriber(): Promise<boolean> {
    if (this.subscribed) return this.subscribed;
    const client = this.redis;
    if (!client) return Promise.resolve(false);
    const sub = client.duplicate() as RedisClient;
    this.subscriber = sub;
    sub.on('error', (error: unknown) => {
      this.logger.debug(
        { err: error instanceof Error ? error.message : String(error) },
        'cache: bus connection error',
      );
    });
    sub.on('ready', () => {
      this.readyCount++;
      if (this.readyCount > 1) {
        // We may have missed invalidations while disconnected.
        this.subscriberReady = true;
        if (this.busEnabled) this.resetL1('bus reconnected');
      }
    });
    sub.on('end', () => {
      this.subscriberReady = false;
    });
    sub.on('close', () => {
      this.subscriberReady = false;
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    this.subscribed = sub.subscribe(this.channel).then(
      () => {
        this.subscriberReady = true;
        return true;
      },
      (error: unknown) => {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'cache: bus subscribe failed',
        );
        this.subscribed = undefined;
        return false;
      },
    );
    return this.subscribed;
  }

  private outbox: Omit<BusMessage, 'i'>[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * Queues an invalidation for the bus. Messages are batched for up to `BUS_BATCH_MS` into one
   * PUBLISH (a PUBLISH per write would halve write throughput); `immediate` sends at once.
   */
  publish(message: Omit<BusMessage, 'i' | 's'>, immediate = false): void {
    if (immediate) {
      this.send([{ ...message, s: preciseNow() }]);
      return;
    }
    if (!this.publishEnabled) return;
    // stamped when queued, so the measured delay includes the batching wait
    this.outbox.push({ ...message, s: preciseNow() });
    if (this.outbox.length >= 200) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), BUS_BATCH_MS);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length > 0) this.send(batch);
  }

  private send(batch: Omit<BusMessage, 'i'>[]): void {
    const body = JSON.stringify(batch.map((m) => ({ ...m, i: this.instanceId })));
    void this.run('publish', (c) => c.publish(this.channel, body));
  }

  private onMessage(raw: string): void {
    let batch: BusMessage[];
    try {
      batch = JSON.parse(raw) as BusMessage[];
    } catch {
      return;
    }
    if (!Array.isArray(batch)) return;
    for (const msg of batch) this.apply(msg);
  }

  private apply(msg: BusMessage): void {
    const keys = msg.k ?? [];
    for (const key of keys) this.wake(key);
    if (msg.i === this.instanceId) return;
    this.counters.busReceived++;
    if (this.busEnabled && this.l1) {
      if (msg.y === 'set' || msg.y === 'del') for (const key of keys) this.l1.delete(key);
      else if (msg.y === 'tags' && msg.g) {
        for (const tag of msg.g)
          this.tagTimes.set(tag, Math.max(msg.a ?? now(), this.tagTimes.get(tag) ?? 0));
        this.l1DropTags(msg.g);
      } else if (msg.y === 'pattern' && msg.p) this.l1DropPattern(msg.p);
    }
    this.emit('bus:received', { type: msg.y, keys, sentAt: msg.s, delayMs: preciseNow() - msg.s });
  }

  /** Resolves when a bus message names `key` or after `ms`. Returns a cancel function too. */
  waitFor(key: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        const s = this.waiters.get(key);
        s?.delete(done);
        if (s && s.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      set.add(done);
    });
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const done of [...set]) done();
  }

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
    for (const set of this.waiters.values()) for (const done of [...set]) done();
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) {
      try {
        await Promise.race([sub.quit(), new Promise((r) => setTimeout(r, 1000))]);
      } catch {
        // already closed
      }
      sub.disconnect();
    }
  }

  stats(): CacheStats {
    const c = this.counters;
    return {
      ...c,
      hits: c.l1Hits + c.l2Hits,
      circuit: this.breaker?.state ?? 'closed',
      l1: { entries: this.l1?.size ?? 0, bytes: this.l1?.calculatedSize ?? 0 },
      pendingInvalidations: this.pendingSize(),
      degraded: this.degraded,
    };
  }
}

function keyPrefixOf(client: RedisClient | undefined): string {
  if (!client) return '';
  if ((client as Cluster).isCluster) {
    const o = (client as Cluster).options;
    return o.keyPrefix ?? o.redisOptions?.keyPrefix ?? '';
  }
  return (client as Redis).options.keyPrefix ?? '';
}
