import { isRedisUnavailable, logSafeError } from '@redis-toolkit/connection';
import type { SessionData } from 'express-session';
import { decodeSession, type IndexMeta, ttlOf } from '../codec/codec.js';
import { SessionStoreUnavailableError } from '../errors.js';
import { onUnavailable } from '../outage/policy.js';
import type { StoreContext } from '../store/context.js';
import { isValidSid, sessionHandle } from '../store/keys.js';
import type { UserSessionInfo } from '../types.js';
import type { IndexRow, UserIndex } from './user-index.js';

const CHUNK = 200;

/**
 * "Your devices": listing and revocation over the Redis index plus, where the store keeps sessions
 * in memory (memory-only mode, or logins made during an outage under `'memory'`), those too.
 */
export class UserSessions {
  constructor(
    private readonly ctx: StoreContext,
    private readonly index: UserIndex,
    private readonly destroy: (sid: string) => Promise<void>,
  ) {}

  metaOf(sid: string, session: SessionData): IndexMeta | undefined {
    const auth = session.auth;
    if (!auth) return undefined;
    return {
      sid,
      createdAt: auth.createdAt,
      maxAge: session.cookie?.originalMaxAge ?? this.ctx.opts.ttlMs,
      ...(auth.ip ? { ip: auth.ip } : {}),
      ...(auth.userAgent ? { userAgent: auth.userAgent } : {}),
    };
  }

  async add(sid: string, session: SessionData): Promise<void> {
    const meta = this.metaOf(sid, session);
    if (!meta || !session.auth) return;
    const expiresAt = Date.now() + ttlOf(session, this.ctx.opts.ttlMs);
    try {
      await this.index.add(sid, session.auth.userId, expiresAt, meta);
    } catch (error) {
      onUnavailable(this.ctx, error, 'index add', () => {
        // The session is in memory and indexed there; the replay adds it to Redis's index.
      });
    }
  }

  async unindex(userId: string, sid: string): Promise<void> {
    await this.index.remove(userId, [sessionHandle(sid)]).catch((error: unknown) => {
      // The entry expires with its score; listing shows it until then.
      const level = isRedisUnavailable(error) ? 'debug' : 'warn';
      this.ctx.logger[level](
        { err: logSafeError(error).message },
        'session: could not unindex a destroyed session',
      );
    });
  }

  async list(userId: string, current?: string): Promise<UserSessionInfo[]> {
    const currentHandle = current && isValidSid(current) ? sessionHandle(current) : current;
    const redisRows = await this.redisRows(userId);
    const seen = new Set(redisRows.map((r) => r.handle));
    const rows: Omit<UserSessionInfo, 'current'>[] = redisRows.map(({ handle, score, meta }) => {
      // The score runs `slackMs` ahead of the expiry as of the last index refresh. That expiry
      // was set when the cookie was, a moment before login stamped createdAt: never earlier.
      const seenAt = Math.min(Date.now(), score - this.index.slackMs - meta.maxAge);
      return info(handle, meta, Math.max(meta.createdAt, seenAt), seenAt + meta.maxAge);
    });
    for (const local of this.ctx.memory?.userSessions(userId) ?? []) {
      const handle = sessionHandle(local.sid);
      const session = decodeSession(local.json);
      const meta = session ? this.metaOf(local.sid, session) : undefined;
      if (seen.has(handle) || !meta) continue;
      rows.push(info(handle, meta, local.lastSeenAt, local.expiresAt));
    }
    return rows
      .map((row) => ({ ...row, current: row.id === currentHandle }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  async revokeOne(userId: string, handle: string): Promise<boolean> {
    const sid = (await this.sids(userId)).find((s) => sessionHandle(s) === handle);
    if (sid === undefined) return false;
    await this.destroy(sid);
    await this.removeHandles(userId, [handle]);
    return true;
  }

  async revokeAll(userId: string, except?: string): Promise<number> {
    const exceptHandle = except && isValidSid(except) ? sessionHandle(except) : except;
    const sids = (await this.sids(userId)).filter((s) => sessionHandle(s) !== exceptHandle);
    for (let i = 0; i < sids.length; i += CHUNK) {
      await Promise.all(sids.slice(i, i + CHUNK).map((sid) => this.destroy(sid)));
    }
    await this.removeHandles(
      userId,
      sids.map((s) => sessionHandle(s)),
    );
    return sids.length;
  }

  /**
   * Every session of the user, for revocation. Unlike listing, this never falls back to memory
   * alone while Redis is unavailable, under any policy: the sessions stored in Redis would be
   * silently left alive. The caller gets `SessionStoreUnavailableError` (503) and retries; by
   * then the sessions created during the outage are in Redis and indexed too.
   */
  private async sids(userId: string): Promise<string[]> {
    let rows: IndexRow[];
    try {
      rows = await this.index.rows(userId);
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      this.ctx.events.emit('error', 'revoke', 1, { reason: logSafeError(error).message });
      throw new SessionStoreUnavailableError('session store unavailable: revoke', { cause: error });
    }
    const sids = new Set(rows.map((r) => r.meta.sid));
    for (const local of this.ctx.memory?.userSessions(userId) ?? []) sids.add(local.sid);
    return [...sids];
  }

  /** Redis rows; during an outage under 'memory' none (the memory rows stand alone), under 'deny' a 503. */
  private async redisRows(userId: string): Promise<IndexRow[]> {
    try {
      return await this.index.rows(userId);
    } catch (error) {
      return onUnavailable(this.ctx, error, 'list', () => []);
    }
  }

  private async removeHandles(userId: string, handles: string[]): Promise<void> {
    try {
      await this.index.remove(userId, handles);
    } catch (error) {
      onUnavailable(this.ctx, error, 'index remove', () => {});
    }
  }
}

function info(
  handle: string,
  meta: IndexMeta,
  lastSeenAt: number,
  expiresAt: number,
): Omit<UserSessionInfo, 'current'> {
  return {
    id: handle,
    createdAt: meta.createdAt,
    lastSeenAt,
    expiresAt,
    ...(meta.ip ? { ip: meta.ip } : {}),
    ...(meta.userAgent ? { userAgent: meta.userAgent } : {}),
  };
}
