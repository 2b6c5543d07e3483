import { ToolkitEvents } from '@redis-toolkit/connection';
import type { SessionData, Store } from 'express-session';
import type { ResolvedOptions } from '../options.js';
import { MemorySessions } from '../outage/memory.js';
import { replayIntoRedis } from '../outage/replay.js';
import type { RedisSessionStore, UserSessionInfo } from '../types.js';
import { UserIndex } from '../user-index/user-index.js';
import { UserSessions } from '../user-index/user-sessions.js';
import { CallbackStore } from './callback-store.js';
import type { StoreContext, StoreCounters } from './context.js';
import { destroySession } from './destroy.js';
import { Keys } from './keys.js';
import { Listing } from './listing.js';
import { loadSession } from './load.js';
import { MarkMemo } from './mark-memo.js';
import { SessionWrites } from './save.js';
import { STATE, stateOf, type Tagged } from './session-state.js';

/**
 * An express-session Store on the shared Redis runtime that never writes back a destroyed
 * session, keeps a per-user index of sessions, lists/clears across every Cluster master, and
 * follows `onRedisError` when Redis is unavailable. Without `redis` it is a memory-only store.
 *
 * Its parts: load.ts (read), save.ts (save, touch, index refresh), destroy.ts (destroy/revoke),
 * session-state.ts (what a load learnt, carried on the session object).
 */
export class SessionStoreImpl extends CallbackStore implements RedisSessionStore {
  readonly keys: Keys;
  readonly events: ToolkitEvents;
  private readonly ctx: StoreContext;
  private readonly index: UserIndex;
  private readonly users: UserSessions;
  private readonly listing: Listing;
  private readonly writes: SessionWrites;

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
      marks: new MarkMemo(),
    };
    this.index = new UserIndex(this.ctx);
    this.users = new UserSessions(this.ctx, this.index, (sid) => this.remove(sid, 'revoke'));
    this.listing = new Listing(this.ctx);
    this.writes = new SessionWrites(this.ctx, this.index, (sid) => this.remove(sid));
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

  // ---- promise API ----

  /** Load (load.ts, the hot path). No `async` layer: every promise hop here is paid on every request. */
  read(sid: string): Promise<SessionData | null> {
    return loadSession(this.ctx, sid);
  }

  /** Marks the next save of `session` as the login write: it waits for a replica (`durability`). */
  markLoginWrite(session: object): void {
    this.writes.markLoginWrite(session);
  }

  /**
   * Save. A session loaded from Redis is written with `SET XX` (one command; XX: a session
   * destroyed meanwhile is not re-created); a new one through `setIfAlive`, which checks the
   * tombstone. When the user index is due for a refresh, the write also sets the mark and the
   * refresh is sent alongside.
   */
  write(sid: string, session: SessionData): Promise<void> {
    return this.writes.write(sid, session);
  }

  /** Touch (unchanged session): `PEXPIRE`, which cannot create a key; sets the mark when the index is due. */
  refresh(sid: string, session: SessionData): Promise<void> {
    return this.writes.refresh(sid, session);
  }

  /**
   * Destroy (logout, regenerate, revoke): a durable write — it counts as done only once a replica
   * has the tombstone where replicas exist, so a failover cannot bring the session back.
   */
  remove(sid: string, operation: 'destroy' | 'revoke' = 'destroy'): Promise<void> {
    return destroySession(this.ctx, this.users, sid, operation);
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
}
