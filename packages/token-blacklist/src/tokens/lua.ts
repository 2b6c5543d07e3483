import { defineScript } from '@redis-toolkit/connection';

// Every script touches the keys of ONE subject or ONE family, which share a hash tag: one slot
// on a Cluster. Token keys are built in Lua as KEYS[1] .. ':t:' .. hash — from KEYS[1], which
// carries the client's ioredis keyPrefix (ARGV would not) — and are in the declared keys' slot
// (same tag), which Redis 7 allows for scripts without `#!lua flags`.

/**
 * Issues one one-time token. KEYS: subject set, counter. ARGV: hash, record, ttl ms,
 * single (0/1), limit max (0 = none), limit window ms.
 * Returns {1, 0} when issued, {0, pttl of the window} when over the limit.
 */
export const ONE_TIME_ISSUE = defineScript({
  name: 'tokens issue',
  numberOfKeys: 2,
  source: `
local max = tonumber(ARGV[5])
if max > 0 then
  local n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
  if n > max then
    local left = redis.call('PTTL', KEYS[2])
    if left < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[6]); left = tonumber(ARGV[6]) end
    return {0, left}
  end
end
local prefix = KEYS[1] .. ':t:'
if ARGV[4] == '1' then
  for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    redis.call('DEL', prefix .. h)
  end
  redis.call('DEL', KEYS[1])
end
local ttl = tonumber(ARGV[3])
redis.call('SET', prefix .. ARGV[1], ARGV[2], 'PX', ttl)
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {1, 0}
`,
});

/** GET + DEL of one token and its removal from the subject's set: exactly one caller wins. KEYS: subject set. ARGV: hash. */
export const ONE_TIME_CONSUME = defineScript({
  name: 'tokens consume',
  numberOfKeys: 1,
  source: `
local key = KEYS[1] .. ':t:' .. ARGV[1]
local value = redis.call('GET', key)
if not value then return false end
redis.call('DEL', key)
redis.call('SREM', KEYS[1], ARGV[1])
return value
`,
});

/** Voids every token of one subject. KEYS: subject set. Returns how many. */
export const ONE_TIME_REVOKE_ALL = defineScript({
  name: 'tokens revokeAll',
  numberOfKeys: 1,
  source: `
local n = 0
for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', KEYS[1] .. ':t:' .. h)
end
redis.call('DEL', KEYS[1])
return n
`,
});

/**
 * Creates a refresh family: a hash with the current token's hash (`cur`), the record (`rec`) and
 * the subject's tag (`st`). KEYS: family. ARGV: hash, record, subject tag, ttl ms.
 */
export const REFRESH_ISSUE = defineScript({
  name: 'tokens refresh issue',
  numberOfKeys: 1,
  source: `
redis.call('HSET', KEYS[1], 'cur', ARGV[1], 'rec', ARGV[2], 'st', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
});

/**
 * Rotates. KEYS: family. ARGV: presented hash, new hash, ttl ms.
 * {1, rec, st}: rotated (the presented hash is now marked used, `u:<hash>`);
 * {-1, rec}: a used token came back — the family is deleted (revoked);
 * {0}: no such family (expired, revoked) or a hash it never issued.
 */
export const REFRESH_ROTATE = defineScript({
  name: 'tokens refresh rotate',
  numberOfKeys: 1,
  source: `
local f = redis.call('HMGET', KEYS[1], 'cur', 'rec', 'st')
if not f[1] then return {0} end
if f[1] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'u:' .. ARGV[1], '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1, f[2], f[3]}
end
if redis.call('HEXISTS', KEYS[1], 'u:' .. ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1])
  return {-1, f[2]}
end
return {0}
`,
});

/** SADD member + keep the set alive at least ttl ms. KEYS: set. ARGV: member, ttl ms. */
export const SET_ADD_TTL = defineScript({
  name: 'tokens index add',
  numberOfKeys: 1,
  source: `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
});
