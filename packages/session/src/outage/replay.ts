import { logSafeError, runScript } from '@redis-toolkit/connection';
import { decodeSession, userIdIn } from '../codec/codec.js';
import type { StoreContext } from '../store/context.js';
import * as lua from '../store/scripts.js';
import type { UserIndex } from '../user-index/user-index.js';

const running = new WeakSet<StoreContext>();

/**
 * When Redis is back (`runtime.on('up')`) under `'memory'`: first the destroys made during the
 * outage (so nothing destroyed comes back), then every session kept in memory, each with
 * `setIfAlive` in NX mode — refused when the id has a tombstone (destroyed elsewhere) and never
 * overwriting a copy Redis already holds (written since by another instance, or older than ours
 * but the one other instances have seen: Redis wins). Logged-in ones are added to the user index.
 * Stops at the first unavailability (the next `up` resumes).
 */
export async function replayIntoRedis(ctx: StoreContext, index: UserIndex): Promise<void> {
  const { runtime, memory, keys, opts, logger } = ctx;
  if (!runtime || !memory || running.has(ctx)) return;
  running.add(ctx);
  let destroys = 0;
  let sessions = 0;
  try {
    for (const sid of [...memory.pendingDestroys]) {
      if (!runtime.available) return;
      await runScript(
        runtime,
        lua.destroy,
        [keys.session(sid), keys.tombstone(sid), keys.indexMark(sid)],
        [opts.tombstoneTtlMs],
        opts.commandTimeoutMs,
      );
      memory.pendingDestroys.delete(sid);
      destroys++;
    }
    for (const entry of memory.entries()) {
      if (!runtime.available) return;
      const ttlMs = entry.expiresAt - Date.now();
      if (ttlMs <= 0) continue;
      await runScript(
        runtime,
        lua.setIfAlive,
        [keys.session(entry.sid), keys.tombstone(entry.sid), keys.indexMark(entry.sid)],
        [entry.json, ttlMs, 0, '1'],
        opts.commandTimeoutMs,
      );
      const session = decodeSession(entry.json);
      const userId = userIdIn(session);
      if (session?.auth && userId !== undefined) {
        await index.add(entry.sid, userId, entry.expiresAt, {
          sid: entry.sid,
          createdAt: session.auth.createdAt,
          maxAge: session.cookie?.originalMaxAge ?? opts.ttlMs,
          ...(session.auth.ip ? { ip: session.auth.ip } : {}),
          ...(session.auth.userAgent ? { userAgent: session.auth.userAgent } : {}),
        });
      }
      memory.drop(entry.sid);
      sessions++;
    }
  } catch (error) {
    logger.debug({ err: logSafeError(error).message }, 'session: replay into redis stopped');
  } finally {
    running.delete(ctx);
    if (destroys + sessions > 0) {
      logger.info({ destroys, sessions }, 'session: outage changes written to redis');
    }
  }
}
