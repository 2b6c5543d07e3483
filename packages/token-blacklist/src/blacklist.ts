import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger, RedisClient } from '@redis-toolkit/connection';
import { type TokenRef, toTokenRef, toUserId } from './claims.js';
import {
  RevocationUnavailableError,
  TokenBlacklistConfigError,
  TokenInputError,
} from './errors.js';
import {
  type DecodedJwtLike,
  expressJwtIsRevoked,
  type NextFunction,
  type RejectRevokedOptions,
  type RevocationRequest,
  type RevocationResponse,
  rejectRevoked,
} from './express.js';
import { LocalStore } from './local-store.js';
import { SET_MAX, SET_MAX_SHA } from './lua.js';
import { Mirror } from './mirror.js';
import type {
  CheckResult,
  OnRedisError,
  RevokeAllResult,
  RevokeResult,
  TokenBlacklistEvents,
  TokenBlacklistOptions,
  TokenBlacklistStats,
  TokenOrClaims,
} from './types.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** One revocation as written to Redis (and queued while Redis is down). */
type Entry =
  | { kind: 't'; id: string; value: number; expMs: number }
  | { kind: 'u'; id: string; value: number; expMs: number };

interface Resolved {
  prefix: string;
  toleranceMs: number;
  maxLifeMs: number;
  onRedisError: OnRedisError;
  commandTimeoutMs: number;
  maxPending: number;
  maxLocalEntries: number;
  maxTokenLength: number;
  logger: Logger;
  mirror: { heartbeatMs: number; staleAfterMs: number } | undefined;
}

function positive(field: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new TokenBlacklistConfigError(
      field,
      allowZero ? 'a finite number >= 0' : 'a finite number > 0',
    );
  }
  return value;
}

function resolveOptions(options: TokenBlacklistOptions): Resolved {
  if (!options || typeof options !== 'object') {
    throw new TokenBlacklistConfigError('options', 'an object with at least `redis`');
  }
  const { redis } = options;
  if (!redis || typeof (redis as { get?: unknown }).get !== 'function') {
    throw new TokenBlacklistConfigError('redis', 'an ioredis Redis or Cluster client');
  }
  const prefix = options.prefix ?? 'revoked:';
  if (typeof prefix !== 'string' || /[*?[\]{}\s]/.test(prefix)) {
    throw new TokenBlacklistConfigError(
      'prefix',
      'a string without glob characters, braces or whitespace',
    );
  }
  const onRedisError = options.onRedisError ?? 'local';
  if (onRedisError !== 'local' && onRedisError !== 'deny') {
    throw new TokenBlacklistConfigError('onRedisError', "'local' or 'deny'");
  }
  let mirror: Resolved['mirror'];
  if (options.mirror) {
    const m = options.mirror === true ? {} : options.mirror;
    const heartbeatMs = positive('mirror.heartbeatMs', m.heartbeatMs, 1000);
    mirror = {
      heartbeatMs,
      staleAfterMs: positive('mirror.staleAfterMs', m.staleAfterMs, heartbeatMs * 3),
    };
  }
  return {
    prefix,
    toleranceMs: positive('clockTolerance', options.clockTolerance, 30, true) * 1000,
    maxLifeMs: positive('maxTokenLifetime', options.maxTokenLifetime, 86_400) * 1000,
    onRedisError,
    commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs, 500),
    maxPending: positive('maxPending', options.maxPending, 10_000),
    maxLocalEntries: positive('maxLocalEntries', options.maxLocalEntries, 1_000_000),
    maxTokenLength: positive('maxTokenLength', options.maxTokenLength, 8192),
    logger: options.logger ?? silent,
    mirror,
  };
}

/**
 * JWT revocation on Redis. Create with `createTokenBlacklist`; see README for the model.
 * This class never verifies tokens: pass tokens your verifier (jose `jwtVerify`, express-jwt)
 * has accepted, or check before verifying only to reject early.
 */
export class TokenBlacklist {
  readonly #redis: RedisClient;
  readonly #o: Resolved;
  readonly #store = new LocalStore();
  readonly #pending = new Map<string, Entry>();
  readonly #events = new EventEmitter();
  readonly #mirror: Mirror | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #channel: string;
  readonly #isCluster: boolean;
  #closed = false;
  #flushing: Promise<void> | undefined;
  #epoch: string | undefined;
  #writes = 0;
  #lastSweep = Date.now();
  readonly #counters = {
    revocations: 0,
    userRevocations: 0,
    checks: 0,
    revokedAnswers: 0,
    localAnswers: 0,
    mirrorAnswers: 0,
    redisAnswers: 0,
    fallbacks: 0,
    unavailable: 0,
    queued: 0,
    replayed: 0,
    dropped: 0,
    reseeds: 0,
  };

  constructor(options: TokenBlacklistOptions) {
    this.#o = resolveOptions(options);
    this.#redis = options.redis;
    this.#channel = `${this.#o.prefix}events`;
    this.#isCluster = (this.#redis as { isCluster?: boolean }).isCluster === true;
    this.#redis.on('ready', this.#onRedisReady);
    this.#timer = setInterval(this.#maintain, 1000);
    this.#timer.unref();
    if (this.#o.mirror) {
      this.#mirror = new Mirror(
        this.#redis,
        {
          channel: this.#channel,
          logger: this.#o.logger,
          commandTimeoutMs: this.#o.commandTimeoutMs,
          apply: (message) => this.#applyMessage(message),
          publish: (message) =>
            this.#cmd(() => this.#redis.publish(this.#channel, message)).then(() => {}),
          loadSnapshot: () => this.#loadSnapshot(),
          canHoldMore: () => this.#store.size < this.#o.maxLocalEntries,
          onSyncChange: (inSync) => this.#events.emit('sync', inSync),
        },
        this.#o.mirror.heartbeatMs,
        this.#o.mirror.staleAfterMs,
      );
    }
    if (this.#redis.status === 'ready') this.#onRedisReady();
  }

  // ---------------------------------------------------------------- keys

  /** Key of one token's revocation (hash-tagged per token). */
  tokenKey(id: string): string {
    return `${this.#o.prefix}t:{${id}}`;
  }
  /** Key of one user's cut-off (hash-tagged per user). */
  userKey(userId: string): string {
    return `${this.#o.prefix}u:{${userId}}`;
  }
  #indexKey(kind: 't' | 'u'): string {
    return `${this.#o.prefix}index:${kind}`;
  }

  // ---------------------------------------------------------------- public API

  /** Revokes one token until it expires (`exp` + clockTolerance). Never stores the raw token. */
  async revoke(token: TokenOrClaims): Promise<RevokeResult> {
    const ref = toTokenRef(token, this.#o.maxTokenLength);
    if (ref.id === undefined) {
      throw new TokenInputError(
        'missing_token_id',
        'claims have no `jti`: pass the raw token string so it can be identified by its SHA-256',
      );
    }
    if (ref.expMs === undefined) {
      throw new TokenInputError(
        'missing_exp',
        'token has no `exp`: it never expires, so its revocation could not either; use revokeAllForUser(sub)',
      );
    }
    const now = Date.now();
    const expMs = ref.expMs + this.#o.toleranceMs;
    if (expMs <= now) return { revoked: false, reason: 'expired', id: ref.id };
    this.#counters.revocations++;
    this.#store.addToken(ref.id, expMs);
    const { persisted, queued } = await this.#persistOrQueue({
      kind: 't',
      id: ref.id,
      value: expMs,
      expMs,
    });
    return { revoked: true, id: ref.id, expiresAt: new Date(expMs), persisted, queued };
  }

  /**
   * "Log out everywhere": every token of `sub` issued before `at` (iat·1000 < at) is revoked,
   * with one key per user. Kept for `maxTokenLifetime` + clockTolerance after `at`. A cut-off
   * never moves backwards.
   */
  async revokeAllForUser(sub: string, at: Date | number = Date.now()): Promise<RevokeAllResult> {
    const userId = toUserId(sub);
    const atMs = at instanceof Date ? at.getTime() : at;
    if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) {
      throw new TokenInputError('invalid_time', '`at` must be a Date or a millisecond timestamp');
    }
    const cutoffMs = Math.round(atMs);
    const now = Date.now();
    const expMs = cutoffMs + this.#o.maxLifeMs + this.#o.toleranceMs;
    if (expMs <= now) return { revoked: false, reason: 'expired', userId };
    this.#counters.userRevocations++;
    this.#store.addUser(userId, cutoffMs, expMs);
    const { persisted, queued } = await this.#persistOrQueue({
      kind: 'u',
      id: userId,
      value: cutoffMs,
      expMs,
    });
    const effective = this.#store.userCutoff(userId, now) ?? cutoffMs;
    return {
      revoked: true,
      userId,
      cutoff: new Date(effective),
      expiresAt: new Date(expMs),
      persisted,
      queued,
    };
  }

  /** True when the token itself was revoked or it was issued before its user's cut-off. */
  async isRevoked(token: TokenOrClaims): Promise<boolean> {
    return (await this.check(token)).revoked;
  }

  /** Like `isRevoked`, with the reason and where the answer came from. */
  async check(token: TokenOrClaims): Promise<CheckResult> {
    const ref = toTokenRef(token, this.#o.maxTokenLength);
    this.#counters.checks++;
    const now = Date.now();
    const local = this.#localReason(ref, now);
    if (local) {
      this.#counters.localAnswers++;
      this.#counters.revokedAnswers++;
      return { revoked: true, reason: local, source: 'local' };
    }
    if (this.#mirror?.inSync(now)) {
      this.#counters.mirrorAnswers++;
      return { revoked: false, reason: undefined, source: 'mirror' };
    }
    let tokenValue: string | null = null;
    let userValue: string | null = null;
    try {
      [tokenValue, userValue] = await this.#cmd(() => this.#readBoth(ref));
    } catch (error) {
      this.#counters.fallbacks++;
      this.#events.emit('fallback', { error, policy: this.#o.onRedisError });
      if (this.#o.onRedisError === 'deny') {
        this.#counters.unavailable++;
        throw new RevocationUnavailableError(
          'revocation status cannot be decided: Redis is unavailable and the local mirror is not in sync',
          { cause: error },
        );
      }
      return { revoked: false, reason: undefined, source: 'fallback' };
    }
    this.#counters.redisAnswers++;
    const canCache = this.#store.size < this.#o.maxLocalEntries;
    if (tokenValue !== null && ref.id !== undefined) {
      const expMs = Number(tokenValue);
      if (canCache && Number.isFinite(expMs)) this.#store.addToken(ref.id, expMs);
      this.#counters.revokedAnswers++;
      return { revoked: true, reason: 'token', source: 'redis' };
    }
    if (userValue !== null && ref.userId !== undefined) {
      const cutoffMs = Number(userValue);
      if (Number.isFinite(cutoffMs)) {
        if (canCache) {
          this.#store.addUser(
            ref.userId,
            cutoffMs,
            cutoffMs + this.#o.maxLifeMs + this.#o.toleranceMs,
          );
        }
        if (ref.iatMs === undefined || ref.iatMs < cutoffMs) {
          this.#counters.revokedAnswers++;
          return { revoked: true, reason: 'user', source: 'redis' };
        }
      }
    }
    return { revoked: false, reason: undefined, source: 'redis' };
  }

  /** Express middleware rejecting revoked tokens (401 `token_revoked`); see `rejectRevoked`. */
  rejectRevoked<Req extends RevocationRequest = RevocationRequest>(
    options: RejectRevokedOptions<Req> = {},
  ): (req: Req, res: RevocationResponse, next: NextFunction) => Promise<void> {
    return rejectRevoked(this, options);
  }

  /** `isRevoked` callback for express-jwt: `expressjwt({ ..., isRevoked: blacklist.expressJwtIsRevoked() })`. */
  expressJwtIsRevoked(): (req: unknown, token: DecodedJwtLike | undefined) => Promise<boolean> {
    return expressJwtIsRevoked(this);
  }

  /** Resolves once the mirror is in sync (true), or false after `timeoutMs`. Without a mirror: true at once. */
  ready(timeoutMs = 10_000): Promise<boolean> {
    const mirror = this.#mirror;
    if (!mirror || mirror.inSync()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onSync = (inSync: boolean) => {
        if (!inSync) return;
        clearTimeout(timer);
        this.#events.off('sync', onSync);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#events.off('sync', onSync);
        resolve(mirror.inSync());
      }, timeoutMs);
      this.#events.on('sync', onSync);
    });
  }

  /** True when checks are answered from the local mirror without a round trip. */
  get inSync(): boolean {
    return this.#mirror?.inSync() ?? false;
  }

  stats(): TokenBlacklistStats {
    return {
      ...this.#counters,
      resyncs: this.#mirror?.resyncs ?? 0,
      pending: this.#pending.size,
      localEntries: this.#store.size,
      inSync: this.inSync,
    };
  }

  on<E extends keyof TokenBlacklistEvents>(
    event: E,
    listener: (...args: TokenBlacklistEvents[E]) => void,
  ): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof TokenBlacklistEvents>(
    event: E,
    listener: (...args: TokenBlacklistEvents[E]) => void,
  ): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Stops timers and the subscriber (the client you passed stays open). Tries one last replay
   * first; returns how many queued revocations could not be written (they are lost with the process).
   */
  async close(): Promise<{ unreplayed: number }> {
    if (this.#closed) return { unreplayed: this.#pending.size };
    if (this.#pending.size > 0 && this.#redis.status === 'ready') await this.#flush();
    this.#closed = true;
    clearInterval(this.#timer);
    this.#redis.off('ready', this.#onRedisReady);
    await this.#mirror?.close();
    if (this.#pending.size > 0) {
      this.#o.logger.error(
        { unreplayed: this.#pending.size },
        'token-blacklist: closed with revocations that never reached Redis',
      );
    }
    return { unreplayed: this.#pending.size };
  }

  // ---------------------------------------------------------------- internals

  #localReason(ref: TokenRef, now: number): 'token' | 'user' | undefined {
    if (ref.id !== undefined && this.#store.hasToken(ref.id, now)) return 'token';
    if (ref.userId !== undefined) {
      const cutoff = this.#store.userCutoff(ref.userId, now);
      if (cutoff !== undefined && (ref.iatMs === undefined || ref.iatMs < cutoff)) return 'user';
    }
    return undefined;
  }

  /** False while the client is known to be disconnected: fail fast instead of queueing. */
  #usable(): boolean {
    const status = this.#redis.status;
    return status !== 'reconnecting' && status !== 'close' && status !== 'end';
  }

  /** Runs Redis work with a deadline; fails fast when the client is not ready (never queues). */
  #cmd<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#usable()) {
      return Promise.reject(new Error(`redis client is ${this.#redis.status}`));
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`redis did not answer within ${this.#o.commandTimeoutMs} ms`)),
          this.#o.commandTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  async #setMax(key: string, value: number, px: number): Promise<void> {
    const args = [key, String(value), String(Math.max(1, Math.ceil(px)))] as const;
    try {
      await this.#redis.evalsha(SET_MAX_SHA, 1, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      await this.#redis.eval(SET_MAX, 1, ...args);
    }
  }

  /** Token key and user key in one round trip: one MGET on a single node, two GETs sent together on a Cluster (different slots). */
  async #readBoth(ref: TokenRef): Promise<[string | null, string | null]> {
    const tokenKey = ref.id !== undefined ? this.tokenKey(ref.id) : undefined;
    const userKey = ref.userId !== undefined ? this.userKey(ref.userId) : undefined;
    if (tokenKey !== undefined && userKey !== undefined) {
      if (!this.#isCluster) {
        const [t, u] = await this.#redis.mget(tokenKey, userKey);
        return [t ?? null, u ?? null];
      }
      return Promise.all([this.#redis.get(tokenKey), this.#redis.get(userKey)]);
    }
    if (tokenKey !== undefined) return [await this.#redis.get(tokenKey), null];
    if (userKey !== undefined) return [null, await this.#redis.get(userKey)];
    return [null, null];
  }

  /** Writes one entry: key (max semantics), index, then publishes (after the write, so a resync cannot miss it). */
  async #persist(entry: Entry): Promise<void> {
    const px = entry.expMs - Date.now();
    if (px <= 0) return;
    const key = entry.kind === 't' ? this.tokenKey(entry.id) : this.userKey(entry.id);
    await this.#cmd(() =>
      Promise.all([
        this.#setMax(key, entry.value, px),
        this.#redis.zadd(this.#indexKey(entry.kind), 'GT', entry.value, entry.id),
      ]),
    );
    const message =
      entry.kind === 't'
        ? JSON.stringify({ k: 't', i: entry.id, v: entry.value })
        : JSON.stringify({ k: 'u', i: entry.id, v: entry.value, e: entry.expMs });
    await this.#cmd(() => this.#redis.publish(this.#channel, message));
    if (++this.#writes % 64 === 0) this.#pruneIndex();
  }

  #pruneIndex(): void {
    const now = Date.now();
    this.#cmd(() =>
      Promise.all([
        this.#redis.zremrangebyscore(this.#indexKey('t'), '-inf', `(${now}`),
        this.#redis.zremrangebyscore(
          this.#indexKey('u'),
          '-inf',
          `(${now - this.#o.maxLifeMs - this.#o.toleranceMs}`,
        ),
      ]),
    ).catch((error: unknown) =>
      this.#o.logger.debug({ err: error }, 'token-blacklist: index prune failed'),
    );
  }

  async #persistOrQueue(entry: Entry): Promise<{ persisted: boolean; queued: boolean }> {
    const pendingKey = `${entry.kind}:${entry.id}`;
    if (!this.#pending.has(pendingKey) && this.#usable()) {
      try {
        await this.#persist(entry);
        return { persisted: true, queued: false };
      } catch (error) {
        this.#o.logger.warn(
          { err: error, id: entry.id },
          'token-blacklist: Redis write failed; revocation honoured locally and queued for replay',
        );
      }
    }
    return { persisted: false, queued: this.#enqueue(entry) };
  }

  #enqueue(entry: Entry): boolean {
    const key = `${entry.kind}:${entry.id}`;
    const existing = this.#pending.get(key);
    if (existing) {
      this.#pending.set(key, {
        ...existing,
        value: Math.max(existing.value, entry.value),
        expMs: Math.max(existing.expMs, entry.expMs),
      });
      return true;
    }
    if (this.#pending.size >= this.#o.maxPending) {
      this.#counters.dropped++;
      this.#events.emit('dropped', { id: entry.id });
      this.#o.logger.error(
        { id: entry.id, maxPending: this.#o.maxPending },
        'token-blacklist: replay queue full; revocation honoured in this process only',
      );
      return false;
    }
    this.#pending.set(key, entry);
    this.#counters.queued++;
    return true;
  }

  /** Writes queued revocations (replay). One flush at a time; stops at the first failure. */
  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const run = this.#replay().finally(() => {
      if (this.#flushing === run) this.#flushing = undefined;
    });
    this.#flushing = run;
    return run;
  }

  async #replay(): Promise<void> {
    let count = 0;
    try {
      for (const [key, entry] of [...this.#pending]) {
        if (entry.expMs <= Date.now()) {
          this.#pending.delete(key);
          continue;
        }
        await this.#persist(entry);
        if (this.#pending.get(key) === entry) this.#pending.delete(key);
        count++;
      }
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'token-blacklist: replay interrupted; will retry');
    } finally {
      if (count > 0) {
        this.#counters.replayed += count;
        this.#o.logger.info({ count }, 'token-blacklist: replayed queued revocations');
        this.#events.emit('replay', { count });
      }
    }
  }

  /**
   * After (re)connecting: replay the queue, then detect an emptied server (restart without
   * persistence) through the epoch marker and write back every live revocation this process knows.
   */
  readonly #onRedisReady = (): void => {
    if (this.#closed) return;
    void (async () => {
      await this.#flush();
      try {
        const markerKey = `${this.#o.prefix}epoch`;
        await this.#cmd(() => this.#redis.set(markerKey, randomUUID(), 'NX'));
        const epoch = await this.#cmd(() => this.#redis.get(markerKey));
        const lost = this.#epoch !== undefined && epoch !== this.#epoch;
        this.#epoch = epoch ?? undefined;
        if (lost) await this.#reseed();
      } catch (error) {
        this.#o.logger.debug({ err: error }, 'token-blacklist: epoch check failed');
      }
    })();
  };

  async #reseed(): Promise<void> {
    const now = Date.now();
    let count = 0;
    for (const e of this.#store.entries(now)) {
      const entry: Entry =
        e.kind === 't'
          ? { kind: 't', id: e.id, value: e.expMs, expMs: e.expMs }
          : { kind: 'u', id: e.id, value: e.cutoffMs, expMs: e.expMs };
      try {
        await this.#persist(entry);
      } catch {
        this.#enqueue(entry);
      }
      count++;
    }
    this.#counters.reseeds += count;
    this.#o.logger.warn(
      { count },
      'token-blacklist: Redis lost its data (epoch changed); wrote back the revocations known here',
    );
  }

  readonly #maintain = (): void => {
    const now = Date.now();
    if (this.#pending.size > 0 && this.#redis.status === 'ready') void this.#flush();
    if (now - this.#lastSweep >= 60_000) {
      this.#lastSweep = now;
      this.#store.sweep(now);
    }
  };

  #applyMessage(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!parsed || typeof parsed !== 'object') return;
    const m = parsed as { k?: unknown; i?: unknown; v?: unknown; e?: unknown };
    if (typeof m.i !== 'string' || typeof m.v !== 'number') return;
    if (this.#store.size >= this.#o.maxLocalEntries) {
      this.#mirror?.invalidate('local store full (maxLocalEntries)');
      return;
    }
    if (m.k === 't') this.#store.addToken(m.i, m.v);
    else if (m.k === 'u' && typeof m.e === 'number') this.#store.addUser(m.i, m.v, m.e);
  }

  async #loadSnapshot(): Promise<void> {
    const now = Date.now();
    for (const kind of ['t', 'u'] as const) {
      let cursor = '0';
      do {
        const [next, flat] = await this.#cmd(() =>
          this.#redis.zscan(this.#indexKey(kind), cursor, 'COUNT', 1000),
        );
        cursor = next;
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const id = flat[i] as string;
          const value = Number(flat[i + 1]);
          if (kind === 't') {
            if (value > now) this.#store.addToken(id, value);
          } else {
            const expMs = value + this.#o.maxLifeMs + this.#o.toleranceMs;
            if (expMs > now) this.#store.addUser(id, value, expMs);
          }
        }
        if (this.#store.size >= this.#o.maxLocalEntries) {
          throw new Error('local store full (maxLocalEntries)');
        }
      } while (cursor !== '0');
    }
  }
}

/** Creates a blacklist; see `TokenBlacklistOptions`. Throws `TokenBlacklistConfigError` on bad options. */
export function createTokenBlacklist(options: TokenBlacklistOptions): TokenBlacklist {
  return new TokenBlacklist(options);
}
