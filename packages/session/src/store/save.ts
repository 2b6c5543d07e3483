import { durableWrite, evalScriptOn, type RedisClient, runScript } from '@redis-toolkit/connection';
import type { SessionData } from 'express-session';
import { ttlOf, userIdIn } from '../codec/codec.js';
import { SessionInputError } from '../errors.js';
import { onUnavailable } from '../outage/policy.js';
import type { UserIndex } from '../user-index/user-index.js';
import { DONE_AT_ONCE } from './callback-store.js';
import type { StoreContext } from './context.js';
import { isValidSid, markOf, sessionHandle, tombstoneOf } from './keys.js';
import * as lua from './scripts.js';
import { markSlid, maxAgeOf, sameMaxAge, stateOf } from './session-state.js';

/**
 * The store's save and touch path: `SET XX` or `setIfAlive` for a save, `PEXPIRE` (or nothing) for
 * a touch, the login write's durability, and the user-index refresh sent alongside either.
 */
export class SessionWrites {
  /** Session objects whose next save is the login write (durable). */
  private readonly loginWrites = new WeakSet<object>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly index: UserIndex,
    /** Destroy: a save whose cookie has expired removes the session instead. */
    private readonly remove: (sid: string) => Promise<void>,
  ) {}

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
    // before the send: the mark's deadline here must not outlive its expiry in Redis
    const sentAt = markTtl > 0 ? performance.now() : 0;
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
      (reply) => this.written(sid, session, reply, markTtl, sentAt),
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
    if (!isValidSid(sid)) return DONE_AT_ONCE;
    const { runtime, memory, keys, opts, counters } = this.ctx;
    const ttlMs = Math.max(1, ttlOf(session, opts.ttlMs));
    counters.touches++;
    if (!runtime) {
      memory?.touch(sid, ttlMs);
      return DONE_AT_ONCE;
    }
    const userId = userIdIn(session);
    const state = stateOf(session);
    const refreshIndex = userId !== undefined && state?.indexFresh !== true;
    // The mark says the expiry was slid less than activityResolution ago: sliding it again now
    // would move it by less than that, so the touch sends nothing (unless the app changed the
    // cookie's maxAge since, which must reach Redis now). connect-redis sends EXPIRE every time.
    if (!refreshIndex && sameMaxAge(state?.slidWith, maxAgeOf(session))) {
      counters.touchesSkipped++;
      return DONE_AT_ONCE;
    }
    const markTtl = refreshIndex ? opts.activityResolutionMs : 0;
    const sentAt = markTtl > 0 ? performance.now() : 0;
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
        if (marked) {
          markSlid(session);
          this.ctx.marks.set(sid, sentAt, markTtl);
        }
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

  /** Bookkeeping after a save's reply ('OK' or 1: written; null or 0: refused). Returns whether it set the mark. */
  private written(
    sid: string,
    session: SessionData,
    reply: unknown,
    markTtl: number,
    sentAt: number,
  ): boolean {
    if (reply !== 'OK' && reply !== 1) {
      this.blocked(sid);
      return false;
    }
    this.ctx.memory?.drop(sid);
    if (markTtl === 0) return false;
    markSlid(session);
    this.ctx.marks.set(sid, sentAt, markTtl);
    return true;
  }

  private blocked(sid: string): void {
    this.ctx.counters.blockedWrites++;
    this.ctx.events.emit('block', 'set');
    this.ctx.logger.debug(
      { handle: sessionHandle(sid) },
      'session: write to a destroyed or expired session refused',
    );
  }

  /** The index refresh failed but the mark was set: drop the mark so the next request retries. */
  private async unmark(sid: string, session: SessionData): Promise<void> {
    this.ctx.marks.drop(sid);
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
        () => runtime.client.del(this.ctx.keys.indexMark(sid)),
        this.ctx.opts.commandTimeoutMs,
      )
      .catch(() => {});
  }
}
