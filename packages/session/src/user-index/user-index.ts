import { logSafeError, runScript } from '@redis-toolkit/connection';
import { decodeMeta, type IndexMeta } from '../codec/codec.js';
import type { StoreContext } from '../store/context.js';
import { sessionHandle } from '../store/keys.js';
import * as lua from '../store/scripts.js';

export interface IndexRow {
  handle: string;
  /** The zset score: the session's expiry as of the last refresh, plus the slack. */
  score: number;
  meta: IndexMeta;
}

const CHUNK = 200;

/**
 * The per-user index in Redis (a sorted set of session handles and a hash of their metadata).
 * A session and its user's index live in different slots, so the index is refreshed alongside
 * the session's own writes, at most once per `activityResolution`.
 */
export class UserIndex {
  /** How far a score runs ahead of the session's expiry (see `touch`). */
  readonly slackMs: number;

  constructor(private readonly ctx: StoreContext) {
    this.slackMs = 2 * ctx.opts.activityResolutionMs;
  }

  async add(sid: string, userId: string, expiresAt: number, meta: IndexMeta): Promise<void> {
    const { runtime, keys, opts } = this.ctx;
    if (!runtime) return;
    await runScript(
      runtime,
      lua.indexAdd,
      [keys.userIndex(userId), keys.userMeta(userId)],
      [Date.now(), sessionHandle(sid), expiresAt + this.slackMs, JSON.stringify(meta)],
      opts.commandTimeoutMs,
    );
  }

  /**
   * Move a session's score forward (ZADD XX GT: a revoked session is never re-added). The score
   * is the expiry plus `slackMs` (twice `activityResolution`): between two refreshes the session
   * slides for less than `activityResolution`, so pruning never drops a live session. Resolves
   * false on failure: the session itself is what matters, the index catches up next time.
   */
  async touch(sid: string, userId: string, expiresAt: number): Promise<boolean> {
    const { runtime, keys, opts, counters } = this.ctx;
    if (!runtime) return false;
    counters.indexRefreshes++;
    try {
      await runScript(
        runtime,
        lua.indexTouch,
        [keys.userIndex(userId), keys.userMeta(userId)],
        [Date.now(), sessionHandle(sid), expiresAt + this.slackMs],
        opts.commandTimeoutMs,
      );
      return true;
    } catch (error) {
      this.ctx.logger.debug({ err: logSafeError(error).message }, 'session: index touch failed');
      return false;
    }
  }

  async rows(userId: string): Promise<IndexRow[]> {
    const { runtime, keys, opts } = this.ctx;
    if (!runtime) return [];
    const raw = (await runScript(
      runtime,
      lua.indexList,
      [keys.userIndex(userId), keys.userMeta(userId)],
      [Date.now()],
      opts.commandTimeoutMs,
    )) as string[];
    const rows: IndexRow[] = [];
    for (let i = 0; i + 2 < raw.length; i += 3) {
      const meta = decodeMeta(raw[i + 2] as string);
      if (meta) rows.push({ handle: raw[i] as string, score: Number(raw[i + 1]), meta });
    }
    return rows;
  }

  async remove(userId: string, handles: readonly string[]): Promise<void> {
    const { runtime, keys, opts } = this.ctx;
    if (!runtime) return;
    for (let i = 0; i < handles.length; i += CHUNK) {
      await runScript(
        runtime,
        lua.indexRemove,
        [keys.userIndex(userId), keys.userMeta(userId)],
        handles.slice(i, i + CHUNK),
        opts.commandTimeoutMs,
      );
    }
  }
}
