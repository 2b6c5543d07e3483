import type { Logger, RedisClient } from '@redis-toolkit/connection';
import { type SessionData, Store } from 'express-session';
import { SessionInputError, SessionStoreUnavailableError } from './errors.js';
import { RedisGuard } from './guard.js';
import { isValidSid, Keys, sessionHandle } from './keys.js';
import * as lua from './lua.js';
import { MemoryFallback } from './memory-fallback.js';
import type { OnRedisError, SessionStats, UserSessionInfo } from './types.js';

export interface RedisSessionStoreOptions {
  redis: RedisClient;
  prefix: string;
  ttlMs: number;
  tombstoneTtlMs: number;
  onRedisError: OnRedisError;
  commandTimeoutMs: number;
  cooldownMs: number;
  memoryMaxSessions: number;
  /** Refresh a session's user-index entry at most once per this many ms (0: on every request). */
  activityResolutionMs: number;
  logger: Logger;
}

interface IndexMeta {
  sid: string;
  createdAt: number;
  maxAge: number;
  ip?: string;
  userAgent?: string;
}

type Callback<T> = (err: unknown, value?: T) => void;
const SCAN_COUNT = 500;
const CHUNK = 200;

/**
 * An express-session Store on ioredis that never writes back a destroyed session, keeps a
 * per-user index of sessions, lists/clears across every Cluster master, and follows a stated
 * policy when Redis is unreachable.
 */
export class RedisSessionStore extends Store {
  readonly keys: Keys;
  readonly stats: SessionStats = {
    loads: 0,
    misses: 0,
    saves: 0,
    touches: 0,
    destroys: 0,
    blockedWrites: 0,
    corrupt: 0,
    unavailable: 0,
    fallbacks: 0,
    indexRefreshes: 0,
  };
  private readonly redis: RedisClient;
  private readonly guard: RedisGuard;
  private readonly memory: MemoryFallback | undefined;
  private readonly logger: Logger;
  private replaying = false;
  /** Session objects whose data was read from Redis: their saves are `SET XX` (cannot resurrect). */
  private readonly loaded = new WeakSet<object>();
  /** Session objects whose index entry was refreshed less than `activityResolutionMs` ago. */
  private readonly indexFresh = new WeakSet<object>();
  /** How far an index score runs ahead of the session's expiry (see `indexTouch`). */
  private readonly indexSlackMs: number;

  constructor(private readonly opts: RedisSessionStoreOptions) {
    super();
    this.redis = opts.redis;
    this.logger = opts.logger;
    this.keys = new Keys(opts.prefix, opts.redis);
    this.indexSlackMs = 2 * opts.activityResolutionMs;
    this.memory =
      opts.onRedisError === 'memory'
        ? new MemoryFallback(opts.memoryMaxSessions, opts.tombstoneTtlMs)
        : undefined;
    this.guard = new RedisGuard(opts.redis, opts.commandTimeoutMs, opts.cooldownMs, {
      down: (error) => {
        if (this.memory) {
          this.logger.warn(
            { err: error.message },
            'session store: redis unavailable, serving sessions from process memory (single instance only) until it is back',
          );
        } else {
          this.logger.error(
            { err: error.message },
            'session store: redis unavailable, answering 503',
          );
        }
      },
      up: () => {
        this.logger.info('session store: redis is back');
        void this.replayDestroys();
      },
    });
  }

  // ---- express-session Store interface (callback style) ----

  override get(sid: string, cb: Callback<SessionData | null>): void {
    settle(this.read(sid), cb);
  }
  override set(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    settle(this.write(sid, session), cb);
  }
  override touch(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    settle(this.refresh(sid, session), cb);
  }
  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    settle(this.remove(sid), cb);
  }
  override all(cb: Callback<SessionData[]>): void {
    settle(this.allSessions(), cb);
  }
  override length(cb: Callback<number>): void {
    settle(
      this.sessionIds().then((ids) => ids.length),
      cb,
    );
  }
  override clear(cb?: (err?: unknown) => void): void {
    settle(this.clearAll(), cb);
  }
  ids(cb: Callback<string[]>): void {
    settle(this.sessionIds(), cb);
  }
  /** express-session builds `req.session` from loaded data here: carry over what `read` learnt. */
  override createSession(
    req: Parameters<Store['createSession']>[0],
    data: SessionData,
  ): ReturnType<Store['createSession']> {
    const session = super.createSession(req, data);
    if (this.loaded.has(data)) this.loaded.add(session);
    if (this.indexFresh.has(data)) this.indexFresh.add(session);
    return session;
  }

  // ---- promise API ----

  async read(sid: string): Promise<SessionData | null> {
    if (!isValidSid(sid)) return null;
    this.stats.loads++;
    let raw: string | null;
    let mark: string | null = null;
    try {
      if (this.opts.activityResolutionMs > 0) {
        // Same slot (hash tag), one command: the data and whether the index is fresh.
        [raw = null, mark = null] = await this.guard.run('get', () =>
          this.redis.mget(this.keys.session(sid), this.keys.indexMark(sid)),
        );
      } else {
        raw = await this.guard.run('get', () => this.redis.get(this.keys.session(sid)));
      }
    } catch (error) {
      if (isWrongType(error)) return this.corrupt(sid, 'not a string');
      const local = this.fallback(error, () => this.memory?.get(sid));
      return local === undefined ? this.miss() : this.parse(sid, local);
    }
    if (this.memory) {
      if (this.memory.isDestroyed(sid)) return this.miss();
      if (raw === null) {
        const local = this.memory.get(sid);
        if (local !== undefined) return this.parse(sid, local);
      }
    }
    if (raw === null) return this.miss();
    const session = this.parse(sid, raw);
    if (session) {
      this.loaded.add(session);
      if (mark !== null) this.indexFresh.add(session);
    }
    return session;
  }

  /**
   * Save. A session loaded from Redis is written with `SET XX` (one command, as connect-redis;
   * XX: a session destroyed meanwhile is not re-created); a new one through `setIfAlive`, which
   * checks the tombstone. When the user index is due for a refresh, the write also sets the mark
   * (a script on the session's slot) and the refresh is sent alongside.
   */
  async write(sid: string, session: SessionData): Promise<void> {
    if (!isValidSid(sid)) throw new SessionInputError('invalid session id');
    const ttlMs = this.ttlOf(session);
    if (ttlMs <= 0) return this.remove(sid);
    const json = JSON.stringify(session);
    const userId = userIdIn(session);
    const refreshIndex = userId !== undefined && !this.indexFresh.has(session);
    const markTtl = refreshIndex ? this.opts.activityResolutionMs : 0;
    const key = this.keys.session(sid);
    this.stats.saves++;
    const call = (): Promise<unknown> => {
      if (!this.loaded.has(session)) {
        const keys = [key, this.keys.tombstone(sid), this.keys.indexMark(sid)];
        return lua.runScript(this.redis, lua.setIfAlive, keys, [json, ttlMs, markTtl]);
      }
      if (markTtl > 0) {
        const keys = [key, this.keys.indexMark(sid)];
        return lua.runScript(this.redis, lua.setIfExistsMarked, keys, [json, ttlMs, markTtl]);
      }
      return this.redis.set(key, json, 'PX', ttlMs, 'XX');
    };
    const write = this.guard.run('set', call).then(
      (reply) => this.written(sid, session, reply, markTtl),
      (error: unknown) => {
        this.fallback(error, () => this.memory?.set(sid, json, ttlMs));
        return false;
      },
    );
    if (!refreshIndex) {
      await write;
      return;
    }
    const [marked, indexed] = await Promise.all([
      write,
      this.indexTouch(sid, userId, Date.now() + ttlMs),
    ]);
    if (marked && !indexed) await this.unmark(sid, session);
  }

  /**
   * Touch (unchanged session): `PEXPIRE`, which cannot create a key. When the user index is due
   * for a refresh, the mark is set in the same call (a script on the session's slot) and the
   * refresh is sent alongside.
   */
  async refresh(sid: string, session: SessionData): Promise<void> {
    if (!isValidSid(sid)) return;
    const ttlMs = Math.max(1, this.ttlOf(session));
    const userId = userIdIn(session);
    const refreshIndex = userId !== undefined && !this.indexFresh.has(session);
    const markTtl = refreshIndex ? this.opts.activityResolutionMs : 0;
    const key = this.keys.session(sid);
    this.stats.touches++;
    const call = (): Promise<unknown> =>
      markTtl > 0
        ? lua.runScript(
            this.redis,
            lua.touchMarked,
            [key, this.keys.indexMark(sid)],
            [ttlMs, markTtl],
          )
        : this.redis.pexpire(key, ttlMs);
    const touch = this.guard.run('touch', call).then(
      (reply) => {
        const marked = markTtl > 0 && reply === 1;
        if (marked) this.indexFresh.add(session);
        return marked;
      },
      (error: unknown) => {
        this.fallback(error, () => this.memory?.touch(sid, ttlMs));
        return false;
      },
    );
    if (!refreshIndex) {
      await touch;
      return;
    }
    const [marked, indexed] = await Promise.all([
      touch,
      this.indexTouch(sid, userId, Date.now() + ttlMs),
    ]);
    if (marked && !indexed) await this.unmark(sid, session);
  }

  /** Bookkeeping after a save's reply ('OK' or 1: written; null or 0: refused). Returns whether it set the mark. */
  private written(sid: string, session: SessionData, reply: unknown, markTtl: number): boolean {
    if (reply !== 'OK' && reply !== 1) {
      this.stats.blockedWrites++;
      this.logger.debug(
        { handle: sessionHandle(sid) },
        'session store: write to a destroyed or expired session refused',
      );
      return false;
    }
    this.memory?.drop(sid);
    if (markTtl === 0) return false;
    this.indexFresh.add(session);
    return true;
  }

  async remove(sid: string): Promise<void> {
    if (!isValidSid(sid)) return;
    this.stats.destroys++;
    let old: unknown;
    try {
      old = await this.guard.run('destroy', () =>
        lua.runScript(
          this.redis,
          lua.destroy,
          [this.keys.session(sid), this.keys.tombstone(sid), this.keys.indexMark(sid)],
          [this.opts.tombstoneTtlMs],
        ),
      );
    } catch (error) {
      this.fallback(error, () => this.memory?.destroy(sid, true));
      return;
    }
    this.memory?.destroy(sid, false);
    const userId = typeof old === 'string' ? userIdOf(old) : undefined;
    if (userId !== undefined) {
      await this.guard
        .run('index remove', () =>
          lua.runScript(
            this.redis,
            lua.indexRemove,
            [this.keys.userIndex(userId), this.keys.userMeta(userId)],
            [sessionHandle(sid)],
          ),
        )
        .catch((error: unknown) => {
          // The entry expires with its score; listing shows it until then.
          this.logger.warn(
            { err: (error as Error).message },
            'session store: could not unindex a destroyed session',
          );
        });
    }
  }

  /** Record a logged-in session in its user's index (called by `login`). */
  async indexAdd(sid: string, session: SessionData): Promise<void> {
    const auth = session.auth;
    if (!auth) return;
    const expiresAt = Date.now() + this.ttlOf(session) + this.indexSlackMs;
    const meta: IndexMeta = {
      sid,
      createdAt: auth.createdAt,
      maxAge: session.cookie?.originalMaxAge ?? this.opts.ttlMs,
      ...(auth.ip ? { ip: auth.ip } : {}),
      ...(auth.userAgent ? { userAgent: auth.userAgent } : {}),
    };
    await this.guard.run('index add', () =>
      lua.runScript(
        this.redis,
        lua.indexAdd,
        [this.keys.userIndex(auth.userId), this.keys.userMeta(auth.userId)],
        [Date.now(), sessionHandle(sid), expiresAt, JSON.stringify(meta)],
      ),
    );
  }

  async listUserSessions(userId: string, current?: string): Promise<UserSessionInfo[]> {
    const rows = await this.indexRows(userId);
    const currentHandle = current && isValidSid(current) ? sessionHandle(current) : current;
    return rows
      .map(({ handle, expiresAt: score, meta }) => {
        // The score runs `indexSlackMs` ahead of the expiry as of the last index refresh.
        const lastSeenAt = Math.min(Date.now(), score - this.indexSlackMs - meta.maxAge);
        return { handle, meta, lastSeenAt, expiresAt: lastSeenAt + meta.maxAge };
      })
      .map(({ handle, meta, lastSeenAt, expiresAt }) => ({
        id: handle,
        createdAt: meta.createdAt,
        lastSeenAt,
        expiresAt,
        ...(meta.ip ? { ip: meta.ip } : {}),
        ...(meta.userAgent ? { userAgent: meta.userAgent } : {}),
        current: handle === currentHandle,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Destroy one of a user's sessions by its public handle. Returns whether it was found. */
  async revokeSession(userId: string, handle: string): Promise<boolean> {
    const row = (await this.indexRows(userId)).find((r) => r.handle === handle);
    if (!row) return false;
    await this.remove(row.meta.sid);
    await this.unindex(userId, [handle]);
    return true;
  }

  /** Destroy all of a user's sessions but `except` (a session id or handle). Returns how many. */
  async revokeUserSessions(userId: string, except?: string): Promise<number> {
    const exceptHandle = except && isValidSid(except) ? sessionHandle(except) : except;
    const rows = (await this.indexRows(userId)).filter((r) => r.handle !== exceptHandle);
    for (let i = 0; i < rows.length; i += CHUNK) {
      await Promise.all(rows.slice(i, i + CHUNK).map((r) => this.remove(r.meta.sid)));
    }
    await this.unindex(
      userId,
      rows.map((r) => r.handle),
    );
    return rows.length;
  }

  async sessionIds(): Promise<string[]> {
    const keys = await this.scanAll(this.keys.sessionPattern());
    const ids: string[] = [];
    for (const key of keys) {
      const sid = this.keys.sidFromFullKey(key);
      if (sid) ids.push(sid);
    }
    return ids;
  }

  async allSessions(): Promise<(SessionData & { id: string })[]> {
    const ids = await this.sessionIds();
    const out: (SessionData & { id: string })[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const values = await Promise.all(
        chunk.map((sid) =>
          this.guard
            .run('all', () => this.redis.get(this.keys.session(sid)))
            .catch((error: unknown) => {
              if (isWrongType(error)) return null;
              throw error;
            }),
        ),
      );
      values.forEach((raw, j) => {
        const sid = chunk[j];
        if (raw === null || raw === undefined || sid === undefined) return;
        const session = decodeSession(raw);
        if (session) out.push(Object.assign(session, { id: sid }));
      });
    }
    return out;
  }

  /** Deletes everything under this store's prefix on every master (never FLUSHDB). */
  async clearAll(): Promise<void> {
    const keys = await this.scanAll(this.keys.namespacePattern());
    for (let i = 0; i < keys.length; i += CHUNK) {
      await Promise.all(
        keys
          .slice(i, i + CHUNK)
          .map((key) => this.guard.run('clear', () => this.redis.unlink(this.keys.logical(key)))),
      );
    }
  }

  // ---- internals ----

  private async indexRows(
    userId: string,
  ): Promise<{ handle: string; expiresAt: number; meta: IndexMeta }[]> {
    const raw = (await this.guard.run('index list', () =>
      lua.runScript(
        this.redis,
        lua.indexList,
        [this.keys.userIndex(userId), this.keys.userMeta(userId)],
        [Date.now()],
      ),
    )) as string[];
    const rows: { handle: string; expiresAt: number; meta: IndexMeta }[] = [];
    for (let i = 0; i + 2 < raw.length; i += 3) {
      const handle = raw[i]!;
      const meta = decodeMeta(raw[i + 2]!);
      if (meta) rows.push({ handle, expiresAt: Number(raw[i + 1]), meta });
    }
    return rows;
  }

  private async unindex(userId: string, handles: string[]): Promise<void> {
    for (let i = 0; i < handles.length; i += CHUNK) {
      const slice = handles.slice(i, i + CHUNK);
      await this.guard.run('index remove', () =>
        lua.runScript(
          this.redis,
          lua.indexRemove,
          [this.keys.userIndex(userId), this.keys.userMeta(userId)],
          slice,
        ),
      );
    }
  }

  /**
   * Move a session's index score forward (ZADD XX GT: a revoked session is never re-added).
   * The score is the session's expiry plus `indexSlackMs` (twice `activityResolutionMs`): between
   * two refreshes the session keeps sliding for less than `activityResolutionMs`, so the score
   * stays past its real expiry and pruning never drops a live session. Resolves false on failure.
   */
  private async indexTouch(sid: string, userId: string, expiresAt: number): Promise<boolean> {
    this.stats.indexRefreshes++;
    return this.guard
      .run('index touch', () =>
        lua.runScript(
          this.redis,
          lua.indexTouch,
          [this.keys.userIndex(userId), this.keys.userMeta(userId)],
          [Date.now(), sessionHandle(sid), expiresAt + this.indexSlackMs],
        ),
      )
      .then(
        () => true,
        (error: unknown) => {
          // The session itself is what matters; the index catches up on the next request.
          this.logger.debug({ err: (error as Error).message }, 'session store: index touch failed');
          return false;
        },
      );
  }

  /** The index refresh failed but the mark was set: drop the mark so the next request retries. */
  private async unmark(sid: string, session: SessionData): Promise<void> {
    this.indexFresh.delete(session);
    await this.guard.run('unmark', () => this.redis.del(this.keys.indexMark(sid))).catch(() => {});
  }

  private async scanAll(pattern: string): Promise<string[]> {
    const nodes = 'nodes' in this.redis ? this.redis.nodes('master') : [this.redis];
    const keys = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        let cursor = '0';
        do {
          const [next, batch] = await this.guard.run('scan', () =>
            node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT),
          );
          cursor = next;
          for (const key of batch) keys.add(key);
        } while (cursor !== '0');
      }),
    );
    return [...keys];
  }

  private ttlOf(session: SessionData): number {
    const expires = session.cookie?.expires;
    if (expires) return new Date(expires).getTime() - Date.now();
    return this.opts.ttlMs;
  }

  private parse(sid: string, raw: string): SessionData | null {
    const session = decodeSession(raw);
    if (!session) return this.corrupt(sid, 'not session JSON');
    return session;
  }

  private corrupt(sid: string, why: string): null {
    this.stats.corrupt++;
    this.logger.warn(
      { handle: sessionHandle(sid), why },
      'session store: unreadable session data, starting a fresh session',
    );
    return null;
  }

  private miss(): null {
    this.stats.misses++;
    return null;
  }

  /** Under 'memory', run the local action and count it; otherwise rethrow. */
  private fallback<T>(error: unknown, local: () => T): T {
    if (!(error instanceof SessionStoreUnavailableError)) throw error;
    this.stats.unavailable++;
    if (!this.memory) throw error;
    this.stats.fallbacks++;
    return local();
  }

  private async replayDestroys(): Promise<void> {
    const memory = this.memory;
    if (!memory || this.replaying || memory.pendingDestroys.size === 0) return;
    this.replaying = true;
    try {
      for (const sid of [...memory.pendingDestroys]) {
        await this.remove(sid);
        if (this.guard.isDown) break;
        memory.pendingDestroys.delete(sid);
      }
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message },
        'session store: replaying destroys failed',
      );
    } finally {
      this.replaying = false;
    }
  }
}

function settle<T>(promise: Promise<T>, cb: Callback<T> | undefined): void {
  promise.then(
    (value) => cb?.(null, value),
    (error: unknown) => cb?.(error),
  );
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

function decodeSession(raw: string): SessionData | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const cookie = (value as { cookie?: unknown }).cookie;
  if (typeof cookie !== 'object' || cookie === null || Array.isArray(cookie)) return null;
  return value as SessionData;
}

function decodeMeta(raw: string): IndexMeta | null {
  try {
    const meta = JSON.parse(raw) as Partial<IndexMeta>;
    if (
      typeof meta.sid !== 'string' ||
      typeof meta.createdAt !== 'number' ||
      typeof meta.maxAge !== 'number'
    )
      return null;
    return meta as IndexMeta;
  } catch {
    return null;
  }
}

function userIdIn(session: SessionData): string | undefined {
  const userId = session.auth?.userId;
  return typeof userId === 'string' ? userId : undefined;
}

function userIdOf(raw: string): string | undefined {
  const userId = decodeSession(raw)?.auth?.userId;
  return typeof userId === 'string' ? userId : undefined;
}
