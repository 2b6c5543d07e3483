import {
  durableWrite,
  evalScriptOn,
  type RedisClient,
  runScript,
  ToolkitEvents,
} from '@redis-toolkit/connection';
import type { SessionData, Store } from 'express-session';
import { decodeSession, isWrongType, ttlOf, userIdIn } from '../codec/codec.js';
import type { EarlyLoad } from '../early-load.js';
import { SessionInputError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { MemorySessions } from '../outage/memory.js';
import { onUnavailable } from '../outage/policy.js';
import { replayIntoRedis } from '../outage/replay.js';
import type { RedisSessionStore, UserSessionInfo } from '../types.js';
import { UserIndex } from '../user-index/user-index.js';
import { UserSessions } from '../user-index/user-sessions.js';
import { CallbackStore } from './callback-store.js';
import type { StoreContext, StoreCounters } from './context.js';
import { isValidSid, Keys, markOf, sessionHandle, tombstoneOf } from './keys.js';
import { Listing } from './listing.js';
import * as lua from './scripts.js';

/**
 * What the store learnt about a session object: a symbol-keyed field on the object itself
 * (JSON.stringify and express-session's copy skip symbols): one object per load instead of an
 * entry in each of several WeakSets/WeakMaps.
 */
interface SessionState {
  /** Read from Redis: its save is `SET XX` (cannot resurrect a destroyed session). */
  fromRedis: boolean;
  /** The user index was refreshed less than `activityResolution` ago (the mark). */
  indexFresh: boolean;
  /**
   * The cookie maxAge the key's expiry was slid with, less than `activityResolution` ago (mark
   * seen at load or set by this request); its touch sends nothing. `undefined`: not known.
   */
  slidWith: number | null | undefined;
}
const STATE = Symbol('redis-toolkit session state');
type Tagged = { [STATE]?: SessionState };

function stateOf(session: object): SessionState | undefined {
  return (session as Tagged)[STATE];
}

/** This request set the mark: the index is fresh and the expiry was just slid. */
function markSlid(session: SessionData): void {
  const tagged = session as Tagged;
  const slidWith = maxAgeOf(session);
  const state = tagged[STATE];
  if (state) {
    state.indexFresh = true;
    state.slidWith = slidWith;
  } else {
    tagged[STATE] = { fromRedis: false, indexFresh: true, slidWith };
  }
}

/** The cookie maxAge a session's expiry is computed from (`null`: a browser-session cookie). */
function maxAgeOf(session: SessionData): number | null {
  return session.cookie?.originalMaxAge ?? null;
}

/**
 * express-session recomputes `originalMaxAge` from `expires - Date.now()` on every touch, so an
 * unchanged maxAge can come back a millisecond or two off; a changed one differs by far more.
 */
function sameMaxAge(slidWith: number | null | undefined, now: number | null): boolean {
  if (slidWith === undefined) return false;
  if (slidWith === null || now === null) return slidWith === now;
  return Math.abs(slidWith - now) <= 1000;
}

/**
 * An express-session Store on the shared Redis runtime that never writes back a destroyed
 * session, keeps a per-user index of sessions, lists/clears across every Cluster master, and
 * follows `onRedisError` when Redis is unavailable. Without `redis` it is a memory-only store.
 */
export class SessionStoreImpl extends CallbackStore implements RedisSessionStore {
  readonly keys: Keys;
  readonly events: ToolkitEvents;
  private readonly ctx: StoreContext;
  private readonly index: UserIndex;
  private readonly users: UserSessions;
  private readonly listing: Listing;
  /** Session objects whose next save is the login write (durable). */
  private readonly loginWrites = new WeakSet<object>();

  /** Built by `createSessionMiddleware`; its options are internal. */
  constructor(opts: ResolvedOptions) {
    super();
    this.keys = new Keys(opts.namespace);
    this.events = new ToolkitEvents('session', opts.namespace);
    const counters: StoreCounters = {
      saves: 0,
      touches: 0,
      touchesSkipped: 0,
      blockedWrites: 0,
      corrupt: 0,
      indexRefreshes: 0,
    };
    const memory =
      !opts.runtime || opts.policy === 'memory'
        ? new MemorySessions(opts.maxMemoryEntries, opts.tombstoneTtlMs)
        : undefined;
    this.ctx = {
      runtime: opts.runtime,
      keys: this.keys,
      opts,
      events: this.events,
      memory,
      logger: opts.logger,
      counters,
    };
    this.index = new UserIndex(this.ctx);
    this.users = new UserSessions(this.ctx, this.index, (sid) => this.remove(sid, 'revoke'));
    this.listing = new Listing(this.ctx);
    if (opts.runtime && memory) {
      opts.runtime.on('up', () => void replayIntoRedis(this.ctx, this.index));
    }
  }

  get counters(): Readonly<StoreCounters> {
    return this.ctx.counters;
  }

  /** Sessions held in this instance's memory. */
  get memoryEntries(): number {
    return this.ctx.memory?.size ?? 0;
  }

  /** express-session builds `req.session` from loaded data here: carry over what `read` learnt. */
  override createSession(
    req: Parameters<Store['createSession']>[0],
    data: SessionData,
  ): ReturnType<Store['createSession']> {
    const session = super.createSession(req, data);
    const state = stateOf(data);
    if (state) (session as Tagged)[STATE] = state;
    return session;
  }

  /**
   * A load the middleware's `prefetch` started for this request: the next `read` of that id takes
   * it instead of sending a command. Set just before express-session runs (it reads synchronously)
   * and cleared after, so it never outlives its request.
   */
  early: EarlyLoad | undefined;

  // ---- promise API ----

  /**
   * Load. The hot path is one guarded command and one reply handler, no `async` layer: every
   * promise hop here is paid on every request.
   */
  read(sid: string): Promise<SessionData | null> {
    const early = this.early;
    if (early !== undefined && early.sid === sid) {
      this.early = undefined;
      return early.load;
    }
    if (!isValidSid(sid)) return Promise.resolve(null);
    const { runtime, memory, keys, opts } = this.ctx;
    if (memory?.isDestroyed(sid)) return Promise.resolve(this.miss());
    if (!runtime) return Promise.resolve(this.fromMemory(sid));
    const key = keys.session(sid);
    const client = runtime.client;
    const onError = (error: unknown): SessionData | null => {
      if (isWrongType(error)) return this.corrupt(sid, 'not a string');
      return onUnavailable(this.ctx, error, 'get', () => this.fromMemory(sid));
    };
    if (opts.activityResolutionMs > 0) {
      // Same slot (hash tag), one command: the data and whether the index is fresh.
      return runtime
        .run('get', () => client.mget(key, markOf(key)), opts.commandTimeoutMs)
        .then(([raw = null, mark = null]) => this.loadedFrom(sid, raw, mark !== null), onError);
    }
    return runtime
      .run('get', () => client.get(key), opts.commandTimeoutMs)
      .then((raw) => this.loadedFrom(sid, raw, false), onError);
  }

  /** The session in a GET reply, or null; remembers it came from Redis (its save is `SET XX`). */
  private loadedFrom(sid: string, raw: string | null, indexFresh: boolean): SessionData | null {
    // Under 'memory' a session created during an outage may not have reached Redis yet.
    if (raw === null) return this.ctx.memory ? this.fromMemory(sid) : this.miss();
    const session = this.parse(sid, raw);
    if (!session) return null;
    this.events.emit('hit', 'get');
    (session as Tagged)[STATE] = {
      fromRedis: true,
      indexFresh,
      slidWith: indexFresh ? maxAgeOf(session) : undefined,
    };
    return session;
  }

  /** Marks the next save of `session` as the login write: it waits for a replica (`durability`). */
  markLoginWrite(session: object): void {
    this.loginWrites.add(session);
  }

  /**
   * Save. A session loaded from Redis is written with `SET XX` (one command; XX: a session
   * destroyed meanwhile is not re-created); a new one through `setIfAlive`, which checks the
   * tombstone. When the user index is due for a refresh, the write also sets the mark and the
   * refresh is sent alongside.
   */
  write(sid: string, session: SessionData): Promise<void> {
    if (!isValidSid(sid)) return Promise.reject(new SessionInputError('invalid session id'));
    const { runtime, memory, keys, opts, counters } = this.ctx;
    const ttlMs = ttlOf(session, opts.ttlMs);
    if (ttlMs <= 0) return this.remove(sid);
    let json: string;
    try {
      json = JSON.stringify(session);
    } catch (error) {
      // not async: what an async function would have turned into a rejection
      return Promise.reject(error);
    }
    const userId = userIdIn(session);
    counters.saves++;
    if (!runtime) {
      if (!memory?.set(sid, json, ttlMs, userId)) this.blocked(sid);
      return Promise.resolve();
    }
    const state = stateOf(session);
    const refreshIndex = userId !== undefined && state?.indexFresh !== true;
    const markTtl = refreshIndex ? opts.activityResolutionMs : 0;
    const key = keys.session(sid);
    let call: Promise<unknown>;
    if (this.loginWrites.has(session)) {
      this.loginWrites.delete(session);
      const fresh = [key, tombstoneOf(key), markOf(key)];
      const freshArgs = [json, ttlMs, markTtl, '0'];
      call = durableWrite(
        runtime,
        'login',
        key,
        // EVAL, not runScript: the durable write runs on its own connection (see README: runtime gaps).
        (c: RedisClient) => evalScriptOn(c, lua.setIfAlive, fresh, freshArgs),
        opts.durability,
      );
    } else if (state?.fromRedis !== true) {
      call = runScript(
        runtime,
        lua.setIfAlive,
        [key, tombstoneOf(key), markOf(key)],
        [json, ttlMs, markTtl, '0'],
        opts.commandTimeoutMs,
      );
    } else if (markTtl > 0) {
      call = runScript(
        runtime,
        lua.setIfExistsMarked,
        [key, markOf(key)],
        [json, ttlMs, markTtl],
        opts.commandTimeoutMs,
      );
    } else {
      // The common save: one SET XX (a session destroyed meanwhile is not re-created).
      const client = runtime.client;
      call = runtime.run(
        'set',
        () => client.set(key, json, 'PX', ttlMs, 'XX'),
        opts.commandTimeoutMs,
      );
    }
    const write = call.then(
      (reply) => this.written(sid, session, reply, markTtl),
      (error: unknown) =>
        onUnavailable(this.ctx, error, 'set', () => {
          if (!memory?.set(sid, json, ttlMs, userId)) this.blocked(sid);
          return false;
        }),
    );
    if (!refreshIndex) return write as Promise<unknown> as Promise<void>;
    return this.withIndexRefresh(sid, session, userId, ttlMs, write);
  }

  /** Touch (unchanged session): `PEXPIRE`, which cannot create a key; sets the mark when the index is due. */
  refresh(sid: string, session: SessionData): Promise<void> {
    if (!isValidSid(sid)) return Promise.resolve();
    const { runtime, memory, keys, opts, counters } = this.ctx;
    const ttlMs = Math.max(1, ttlOf(session, opts.ttlMs));
    counters.touches++;
    if (!runtime) {
      memory?.touch(sid, ttlMs);
      return Promise.resolve();
    }
    const userId = userIdIn(session);
    const state = stateOf(session);
    const refreshIndex = userId !== undefined && state?.indexFresh !== true;
    // The mark says the expiry was slid less than activityResolution ago: sliding it again now
    // would move it by less than that, so the touch sends nothing (unless the app changed the
    // cookie's maxAge since, which must reach Redis now). connect-redis sends EXPIRE every time.
    if (!refreshIndex && sameMaxAge(state?.slidWith, maxAgeOf(session))) {
      counters.touchesSkipped++;
      return Promise.resolve();
    }
    const markTtl = refreshIndex ? opts.activityResolutionMs : 0;
    const key = keys.session(sid);
    const client = runtime.client;
    const call =
      markTtl > 0
        ? runScript(
            runtime,
            lua.touchMarked,
            [key, markOf(key)],
            [ttlMs, markTtl],
            opts.commandTimeoutMs,
          )
        : runtime.run('touch', () => client.pexpire(key, ttlMs), opts.commandTimeoutMs);
    const touch = call.then(
      (reply) => {
        if (reply === 0) memory?.touch(sid, ttlMs); // not in Redis: maybe a session kept in memory
        const marked = markTtl > 0 && reply === 1;
        if (marked) markSlid(session);
        return marked;
      },
      (error: unknown) =>
        onUnavailable(this.ctx, error, 'touch', () => {
          memory?.touch(sid, ttlMs);
          return false;
        }),
    );
    if (!refreshIndex) return touch as Promise<unknown> as Promise<void>;
    return this.withIndexRefresh(sid, session, userId, ttlMs, touch);
  }

  /** The index refresh sent alongside a save or touch that set the mark; drops the mark if the refresh failed. */
  private async withIndexRefresh(
    sid: string,
    session: SessionData,
    userId: string,
    ttlMs: number,
    marking: Promise<boolean>,
  ): Promise<void> {
    const [marked, indexed] = await Promise.all([
      marking,
      this.index.touch(sid, userId, Date.now() + ttlMs),
    ]);
    if (marked && !indexed) await this.unmark(sid, session);
  }

  /**
   * Destroy (logout, regenerate, revoke): a durable write — it counts as done only once a replica
   * has the tombstone where replicas exist, so a failover cannot bring the session back.
   */
  async remove(sid: string, operation: 'destroy' | 'revoke' = 'destroy'): Promise<void> {
    if (!isValidSid(sid)) return;
    const { runtime, memory, keys, opts } = this.ctx;
    if (!runtime) {
      memory?.destroy(sid, false);
      this.events.emit('revocation', operation);
      return;
    }
    const sessionKeys = [keys.session(sid), keys.tombstone(sid), keys.indexMark(sid)];
    let old: unknown;
    try {
      old = await durableWrite(
        runtime,
        operation,
        sessionKeys[0] as string,
        (c: RedisClient) => evalScriptOn(c, lua.destroy, sessionKeys, [opts.tombstoneTtlMs]),
        opts.durability,
      );
    } catch (error) {
      onUnavailable(this.ctx, error, operation, () => memory?.destroy(sid, true));
      this.events.emit('revocation', operation);
      return;
    }
    memory?.destroy(sid, false);
    this.events.emit('revocation', operation);
    const userId = typeof old === 'string' ? userIdIn(decodeSession(old)) : undefined;
    if (userId === undefined) return;
    await this.users.unindex(userId, sid);
  }

  /** Record a logged-in session in its user's index (called by `login`). */
  indexAdd(sid: string, session: SessionData): Promise<void> {
    return this.users.add(sid, session);
  }

  listUserSessions(userId: string, current?: string): Promise<UserSessionInfo[]> {
    return this.users.list(userId, current);
  }

  /** Destroy one of a user's sessions by its public handle. Returns whether it was found. */
  revokeSession(userId: string, handle: string): Promise<boolean> {
    return this.users.revokeOne(userId, handle);
  }

  /** Destroy all of a user's sessions but `except` (a session id or handle). Returns how many. */
  revokeUserSessions(userId: string, except?: string): Promise<number> {
    return this.users.revokeAll(userId, except);
  }

  sessionIds(): Promise<string[]> {
    return this.listing.ids();
  }

  allSessions(): Promise<(SessionData & { id: string })[]> {
    return this.listing.all();
  }

  /** Deletes everything under this store's namespace on every master (never FLUSHDB). */
  clearAll(): Promise<void> {
    return this.listing.clear();
  }

  // ---- internals ----

  /** Bookkeeping after a save's reply ('OK' or 1: written; null or 0: refused). Returns whether it set the mark. */
  private written(sid: string, session: SessionData, reply: unknown, markTtl: number): boolean {
    if (reply !== 'OK' && reply !== 1) {
      this.blocked(sid);
      return false;
    }
    this.ctx.memory?.drop(sid);
    if (markTtl === 0) return false;
    markSlid(session);
    return true;
  }

  private blocked(sid: string): void {
    this.ctx.counters.blockedWrites++;
    this.events.emit('block', 'set');
    this.ctx.logger.debug(
      { handle: sessionHandle(sid) },
      'session: write to a destroyed or expired session refused',
    );
  }

  /** The index refresh failed but the mark was set: drop the mark so the next request retries. */
  private async unmark(sid: string, session: SessionData): Promise<void> {
    const state = stateOf(session);
    if (state) {
      state.indexFresh = false;
      state.slidWith = undefined;
    }
    const runtime = this.ctx.runtime;
    if (!runtime) return;
    await runtime
      .run(
        'unmark',
        () => runtime.client.del(this.keys.indexMark(sid)),
        this.ctx.opts.commandTimeoutMs,
      )
      .catch(() => {});
  }

  private fromMemory(sid: string): SessionData | null {
    const local = this.ctx.memory?.get(sid);
    if (local === undefined) return this.miss();
    const session = this.parse(sid, local);
    if (session) this.events.emit('hit', 'get');
    return session;
  }

  private parse(sid: string, raw: string): SessionData | null {
    const session = decodeSession(raw);
    if (!session) return this.corrupt(sid, 'not session JSON');
    return session;
  }

  private corrupt(sid: string, why: string): null {
    this.ctx.counters.corrupt++;
    this.events.emit('miss', 'get');
    this.ctx.logger.warn(
      { handle: sessionHandle(sid), why },
      'session: unreadable session data, starting a fresh session',
    );
    return null;
  }

  private miss(): null {
    this.events.emit('miss', 'get');
    return null;
  }
}
