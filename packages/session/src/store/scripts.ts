import { defineScript } from '@redis-toolkit/connection';

/**
 * Write a session that was not loaded from Redis (a new one) unless it was destroyed meanwhile;
 * with markTtlMs > 0 also set the index-refresh mark. KEYS: data, tombstone, mark.
 * ARGV: json, ttlMs, markTtlMs, nx ('1': never overwrite an existing copy — outage replay).
 */
export const setIfAlive = defineScript({
  name: 'session setIfAlive',
  numberOfKeys: 3,
  source: `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[4] == '1' then
  if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
return 1`,
});

/** Overwrite a session only if it still exists (XX) and set the mark. KEYS: data, mark. ARGV: json, ttlMs, markTtlMs. */
export const setIfExistsMarked = defineScript({
  name: 'session setIfExistsMarked',
  numberOfKeys: 2,
  source: `if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1`,
});

/** Slide a session's expiry (PEXPIRE cannot create a key) and set the mark. KEYS: data, mark. ARGV: ttlMs, markTtlMs. */
export const touchMarked = defineScript({
  name: 'session touchMarked',
  numberOfKeys: 2,
  source: `if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 1`,
});

/**
 * Destroy: delete the data and the mark, leave a tombstone, return the old value (to find its
 * user). Idempotent, so a durable write may be retried. KEYS: data, tombstone, mark. ARGV: tombstoneTtlMs.
 */
export const destroy = defineScript({
  name: 'session destroy',
  numberOfKeys: 3,
  source: `local v = false
if redis.call('TYPE', KEYS[1]).ok == 'string' then v = redis.call('GET', KEYS[1]) end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return v`,
});

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

/** Add a session to a user's index. KEYS: zset, meta. ARGV: now, handle, expiresAt, metaJson. */
export const indexAdd = defineScript({
  name: 'session indexAdd',
  numberOfKeys: 2,
  source: `redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
${pruneAndExpire(", 'LIMIT', 0, 100")}
return 1`,
});

/** Move a session's expiry forward only if still indexed (XX: a revoked session is never re-added). ARGV: now, handle, expiresAt. */
export const indexTouch = defineScript({
  name: 'session indexTouch',
  numberOfKeys: 2,
  source: `local n = redis.call('ZADD', KEYS[1], 'XX', 'GT', 'CH', ARGV[3], ARGV[2])
${pruneAndExpire(", 'LIMIT', 0, 100")}
return n`,
});

/** Prune, then list: returns [handle, expiresAt, metaJson, ...]. KEYS: zset, meta. ARGV: now. */
export const indexList = defineScript({
  name: 'session indexList',
  numberOfKeys: 2,
  source: `${pruneAndExpire('')}
local rows = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], rows[i]) or ''
end
return out`,
});

/** Remove handles from a user's index. KEYS: zset, meta. ARGV: handle... */
export const indexRemove = defineScript({
  name: 'session indexRemove',
  numberOfKeys: 2,
  source: `local n = redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
return n`,
});
