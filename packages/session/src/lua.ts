import { createHash } from 'node:crypto';
import type { RedisClient } from '@redis-toolkit/connection';

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Write a session that was not loaded from Redis (a new one) unless it was destroyed meanwhile;
 * with markTtlMs > 0 also set the index-refresh mark. KEYS: data, tombstone, mark.
 * ARGV: json, ttlMs, markTtlMs.
 */
export const setIfAlive = script(
  'setIfAlive',
  `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
return 1`,
);

/**
 * Overwrite a session only if it still exists (XX: a destroyed or expired session is never
 * re-created), and set the index-refresh mark. Used when a save also refreshes the user index.
 * KEYS: data, mark. ARGV: json, ttlMs, markTtlMs.
 */
export const setIfExistsMarked = script(
  'setIfExistsMarked',
  `if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1`,
);

/**
 * Slide a session's expiry (PEXPIRE cannot create a key) and set the index-refresh mark.
 * Used when a touch also refreshes the user index. KEYS: data, mark. ARGV: ttlMs, markTtlMs.
 */
export const touchMarked = script(
  'touchMarked',
  `if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 1`,
);

/**
 * Destroy: delete the data and the index-refresh mark, leave a tombstone, return the old value
 * (to find its user). KEYS: data, tombstone, mark. ARGV: tombstoneTtlMs.
 */
export const destroy = script(
  'destroy',
  `local v = false
if redis.call('TYPE', KEYS[1]).ok == 'string' then v = redis.call('GET', KEYS[1]) end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return v`,
);

// Shared tail of the index scripts: drop expired members (bounded), expire the keys with the last session.
const pruneAndExpire = (limit: string) => `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1]${limit})
if #dead > 0 then
  redis.call('ZREM', KEYS[1], unpack(dead))
  redis.call('HDEL', KEYS[2], unpack(dead))
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], last[2])
  redis.call('PEXPIREAT', KEYS[2], last[2])
end`;

/**
 * Add a session to a user's index. KEYS: zset, meta. ARGV: now, handle, expiresAt, metaJson.
 */
export const indexAdd = script(
  'indexAdd',
  `redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
${pruneAndExpire(", 'LIMIT', 0, 100")}
return 1`,
);

/**
 * Move a session's expiry forward, only if it is still indexed (XX: a revoked session is never
 * re-added by a late request). KEYS: zset, meta. ARGV: now, handle, expiresAt.
 */
export const indexTouch = script(
  'indexTouch',
  `local n = redis.call('ZADD', KEYS[1], 'XX', 'GT', 'CH', ARGV[3], ARGV[2])
${pruneAndExpire(", 'LIMIT', 0, 100")}
return n`,
);

/** Prune, then list: returns [handle, expiresAt, metaJson, ...]. KEYS: zset, meta. ARGV: now. */
export const indexList = script(
  'indexList',
  `${pruneAndExpire('')}
local rows = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], rows[i]) or ''
end
return out`,
);

/** Remove handles from a user's index. KEYS: zset, meta. ARGV: handle... */
export const indexRemove = script(
  'indexRemove',
  `local n = redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
return n`,
);

/** EVALSHA, falling back to EVAL on NOSCRIPT (which also loads it on that node: every master ends up with it). */
export async function runScript(
  client: RedisClient,
  s: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return client.eval(s.source, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
