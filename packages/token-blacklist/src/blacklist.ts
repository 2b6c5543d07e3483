import {
  type Duration,
  durationOption,
  type RedisRuntime,
  ToolkitEvents,
  type ToolkitListener,
} from '@redis-toolkit/connection';
import { checkToken } from './check.js';
import type { Core } from './core.js';
import { BlacklistUnavailableError, TokenBlacklistConfigError } from './errors.js';
import {
  type DecodedJwtLike,
  expressJwtIsRevoked,
  type IssuanceGuardOptions,
  type NextFunction,
  type RejectRevokedOptions,
  type RevocationRequest,
  type RevocationResponse,
  rejectRevoked,
  requireCanIssue,
} from './express.js';
import { keysFor } from './keys.js';
import { LocalStore } from './local-store.js';
import { type BudgetedLogger, budgetLogger } from './log-budget.js';
import { Mirror } from './mirror.js';
import { resolveOptions } from './options.js';
import { OutboxSide } from './outbox-side.js';
import { revokeToken, revokeUser } from './revoke.js';
import type {
  CheckResult,
  RevokeAllResult,
  RevokeResult,
  TokenBlacklistOptions,
  TokenBlacklistStats,
  TokenOrClaims,
} from './types.js';
import { checkEpoch } from './writes.js';

const EPOCH_CHECK_MS = 10_000;

/**
 * JWT revocation on Redis. Create with `createTokenBlacklist`; see README for the model.
 * This class never verifies tokens: pass tokens your verifier (jose `jwtVerify`, express-jwt)
 * has accepted, or check before verifying only to reject early.
 */
export class TokenBlacklist {
  /** Every event of this instance (`revocation`, `hit`, `miss`, `error`, `fallback`). */
  readonly events: ToolkitEvents;
  readonly #core: Core;
  readonly #outbox: OutboxSide | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #offs: (() => void)[] = [];
  readonly #syncListeners = new Set<(inSync: boolean) => void>();
  readonly #epoch: { epoch?: string } = {};
  /** False from an outage until the outbox is drained again: revocations may be missing from Redis. */
  #settled = true;
  readonly #log: BudgetedLogger;
  #closed = false;

  constructor(options: TokenBlacklistOptions = {}) {
    const resolved = resolveOptions(options);
    this.#log = budgetLogger(resolved.logger, resolved.runtime);
    const o = { ...resolved, logger: this.#log.logger };
    this.events = new ToolkitEvents('blacklist', o.namespace);
    const core: Core = {
      o,
      runtime: o.runtime,
      keys: keysFor(o.namespace),
      store: new LocalStore(),
      events: this.events,
      mirror: undefined,
      counters: { replayed: 0, reseeds: 0, redisChecks: 0, writes: 0 },
    };
    this.#core = core;
    this.#outbox = o.outbox ? new OutboxSide(core, o.outbox) : undefined;
    const runtime = o.runtime;
    if (!runtime) return;
    if (o.mirror) {
      core.mirror = new Mirror(
        {
          runtime,
          channel: core.keys.channel,
          logger: o.logger,
          apply: (message) => this.#applyMessage(message),
          loadSnapshot: () => this.#loadSnapshot(runtime),
          canHoldMore: () => core.store.size < o.maxMemoryEntries,
          onSyncChange: (inSync) => {
            for (const listener of this.#syncListeners) listener(inSync);
          },
        },
        o.mirror.heartbeatMs,
        o.mirror.staleAfterMs,
      );
    }
    this.#offs.push(
      runtime.on('down', () => {
        this.#settled = false;
        void this.#outbox?.absorb();
      }),
      runtime.on('up', () => void this.#afterOutage(runtime)),
    );
    this.#timer = setInterval(() => this.#maintain(runtime), EPOCH_CHECK_MS);
    this.#timer.unref();
    if (!runtime.available) this.#settled = false;
    void this.#epochCheck(runtime);
  }

  /** Key of one token's revocation, for an id returned by `revoke`. */
  tokenKey(id: string): string {
    return this.#core.keys.token(id);
  }
  /** Key of one user's cut-off, for a `userId` returned by `revokeAllForUser`. */
  userKey(userId: string): string {
    return this.#core.keys.user(userId);
  }

  /** Revokes one token until it expires (`exp` + clockTolerance). Never stores the raw token. */
  revoke(token: TokenOrClaims): Promise<RevokeResult> {
    return revokeToken(this.#core, this.#outbox, token);
  }

  /**
   * "Log out everywhere": every token of `sub` issued before `at` (iat·1000 < at) is revoked,
   * with one key per user, kept for `maxTokenLifetime` + clockTolerance after `at`. A cut-off
   * never moves backwards.
   */
  revokeAllForUser(sub: string, at: Date | number = Date.now()): Promise<RevokeAllResult> {
    return revokeUser(this.#core, this.#outbox, sub, at);
  }

  /** True when the token itself was revoked or it was issued before its user's cut-off. */
  async isRevoked(token: TokenOrClaims): Promise<boolean> {
    return (await this.check(token)).revoked;
  }

  /** Like `isRevoked`, with the reason and where the answer came from. */
  check(token: TokenOrClaims): Promise<CheckResult> {
    return checkToken(this.#core, this.#outbox, token);
  }

  /**
   * False while revocation state is unknown — Redis in an outage, revocations accepted during one
   * not yet replayed, or the mirror not in sync — unless `issueDuringOutage` is set. Ask before
   * issuing new credentials (refresh): a revoked refresh token must not mint new tokens.
   */
  canIssue(): boolean {
    const { runtime, o, mirror } = this.#core;
    if (!runtime || o.issueDuringOutage) return true;
    return runtime.available && this.#settled && (mirror === undefined || mirror.inSync());
  }

  /** Throws `BlacklistUnavailableError` (503) when `canIssue()` is false. */
  assertCanIssue(): void {
    if (this.canIssue()) return;
    this.events.emit('error', 'assertCanIssue');
    throw new BlacklistUnavailableError(
      'new credentials are not issued while revocation state is unknown (Redis unavailable or not yet resynced)',
      { retryAfterSeconds: this.#core.runtime?.retryAfterSeconds() ?? 1 },
    );
  }

  /** Express middleware rejecting revoked tokens (401 `E_BLACKLIST_REVOKED`); see `rejectRevoked`. */
  rejectRevoked<Req extends RevocationRequest = RevocationRequest>(
    options: RejectRevokedOptions<Req> = {},
  ): (req: Req, res: RevocationResponse, next: NextFunction) => Promise<void> {
    return rejectRevoked(this, options);
  }

  /** Express middleware answering 503 + Retry-After while `canIssue()` is false; put it on refresh/login routes. */
  requireCanIssue(
    options: IssuanceGuardOptions = {},
  ): (req: unknown, res: RevocationResponse, next: NextFunction) => void {
    return requireCanIssue(this, options);
  }

  /** `isRevoked` callback for express-jwt: `expressjwt({ ..., isRevoked: blacklist.expressJwtIsRevoked() })`. */
  expressJwtIsRevoked(): (req: unknown, token: DecodedJwtLike | undefined) => Promise<boolean> {
    return expressJwtIsRevoked(this);
  }

  /** Resolves once the mirror is in sync (true), or false after `timeout` (default `'10s'`). Without a mirror: true at once. */
  ready(timeout: Duration = '10s'): Promise<boolean> {
    const timeoutMs = durationOption(timeout, 'timeout', 10_000, (field, message) => {
      return new TokenBlacklistConfigError(field, message);
    });
    const mirror = this.#core.mirror;
    if (!mirror || mirror.inSync()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const off = this.onSync((inSync) => {
        if (!inSync) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
      const timer = setTimeout(() => {
        off();
        resolve(mirror.inSync());
      }, timeoutMs);
    });
  }

  /** True when checks are answered from the local mirror without a round trip. */
  get inSync(): boolean {
    return this.#core.mirror?.inSync() ?? false;
  }

  /** Called with `true`/`false` whenever the mirror becomes (un)trustworthy. Returns an unsubscribe function. */
  onSync(listener: (inSync: boolean) => void): () => void {
    this.#syncListeners.add(listener);
    return () => this.#syncListeners.delete(listener);
  }

  /** Shorthand for `events.on(listener)`. */
  on(listener: ToolkitListener): () => void {
    return this.events.on(listener);
  }

  stats(): TokenBlacklistStats {
    const { runtime, store, mirror, counters } = this.#core;
    return {
      ...this.events.snapshot(),
      localEntries: store.size,
      inSync: this.inSync,
      resyncs: mirror?.resyncs ?? 0,
      replayed: counters.replayed,
      reseeds: counters.reseeds,
      redisChecks: counters.redisChecks,
      redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
    };
  }

  /**
   * Stops timers, the outbox replay and the subscriber (the client you passed stays open). Tries
   * one last outbox replay first. Outbox entries that remain are replayed by any other instance.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#core.runtime?.available) await this.#outbox?.drain().catch(() => false);
    this.#outbox?.stop();
    clearInterval(this.#timer);
    for (const off of this.#offs) off();
    await this.#core.mirror?.close();
  }

  async #afterOutage(runtime: RedisRuntime): Promise<void> {
    if (this.#closed) return;
    await this.#epochCheck(runtime);
    if (!this.#outbox || (await this.#outbox.drain().catch(() => false))) {
      if (runtime.available) {
        this.#settled = true;
        this.#log.settle();
      }
    }
  }

  async #epochCheck(runtime: RedisRuntime): Promise<void> {
    if (!runtime.available) return;
    try {
      await checkEpoch(this.#core, runtime, this.#epoch);
    } catch {
      // an outage (logged by the runtime) or a write-back cut short: retried on the next 'up' or tick
    }
  }

  #maintain(runtime: RedisRuntime): void {
    if (this.#closed) return;
    this.#core.store.sweep(Date.now());
    void this.#epochCheck(runtime);
    if (!this.#settled) void this.#afterOutage(runtime);
  }

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
    const { store, o, mirror } = this.#core;
    if (store.size >= o.maxMemoryEntries) {
      mirror?.invalidate('memory full (maxMemoryEntries)');
      return;
    }
    if (m.k === 't') store.addToken(m.i, m.v);
    else if (m.k === 'u' && typeof m.e === 'number') store.addUser(m.i, m.v, m.e);
  }

  /** Every live revocation, by ZSCAN of the two index keys (one key each, so one node each on a Cluster). */
  async #loadSnapshot(runtime: RedisRuntime): Promise<void> {
    const { store, o, keys } = this.#core;
    const now = Date.now();
    for (const kind of ['t', 'u'] as const) {
      let cursor = '0';
      do {
        const [next, flat] = await runtime.run(
          'mirror snapshot',
          () => runtime.client.zscan(keys.index(kind), cursor, 'COUNT', 1000),
          o.commandTimeoutMs,
        );
        cursor = next;
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const id = flat[i] as string;
          const value = Number(flat[i + 1]);
          if (kind === 't') {
            if (value > now) store.addToken(id, value);
          } else {
            const expMs = value + o.maxLifeMs + o.toleranceMs;
            if (expMs > now) store.addUser(id, value, expMs);
          }
        }
        if (store.size >= o.maxMemoryEntries) throw new Error('memory full (maxMemoryEntries)');
      } while (cursor !== '0');
    }
  }
}

/** Creates a blacklist; see `TokenBlacklistOptions`. Throws `TokenBlacklistConfigError` on bad options. No `redis`: memory-only. */
export function createTokenBlacklist(options: TokenBlacklistOptions = {}): TokenBlacklist {
  return new TokenBlacklist(options);
}
