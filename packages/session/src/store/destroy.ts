import { durableWrite, evalScriptOn, type RedisClient } from '@redis-toolkit/connection';
import { decodeSession, userIdIn } from '../codec/codec.js';
import { onUnavailable } from '../outage/policy.js';
import type { UserSessions } from '../user-index/user-sessions.js';
import type { StoreContext } from './context.js';
import { isValidSid, markOf, tombstoneOf } from './keys.js';
import * as lua from './scripts.js';

/**
 * Destroy (logout, regenerate, revoke): a durable write — it counts as done only once a replica
 * has the tombstone where replicas exist, so a failover cannot bring the session back.
 */
export async function destroySession(
  ctx: StoreContext,
  users: UserSessions,
  sid: string,
  operation: 'destroy' | 'revoke',
): Promise<void> {
  if (!isValidSid(sid)) return;
  const { runtime, memory, keys, opts } = ctx;
  if (!runtime) {
    memory?.destroy(sid, false);
    ctx.events.emit('revocation', operation);
    return;
  }
  ctx.marks.drop(sid);
  const key = keys.session(sid);
  const sessionKeys = [key, tombstoneOf(key), markOf(key)];
  let old: unknown;
  try {
    old = await durableWrite(
      runtime,
      operation,
      key,
      (c: RedisClient) => evalScriptOn(c, lua.destroy, sessionKeys, [opts.tombstoneTtlMs]),
      opts.durability,
    );
  } catch (error) {
    onUnavailable(ctx, error, operation, () => memory?.destroy(sid, true));
    ctx.events.emit('revocation', operation);
    return;
  }
  memory?.destroy(sid, false);
  ctx.events.emit('revocation', operation);
  const userId = typeof old === 'string' ? userIdIn(decodeSession(old)) : undefined;
  if (userId === undefined) return;
  await users.unindex(userId, sid);
}
