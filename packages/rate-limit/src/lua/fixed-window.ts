import { defineScript } from '@redis-toolkit/connection';

/**
 * Fixed window, one counter per key: a string holding the hits of the current window, expiring
 * (PX) when the window ends (the value layout rate-limit-redis uses).
 * A request that would pass the limit is rejected without being counted (its INCRBY is undone in
 * the same script, so nobody ever sees it). The admitting path is PTTL + INCRBY, like rate-limit-redis.
 * `cost` never exceeds `limit` (checked before the call), so a fresh window always admits.
 *
 * KEYS[1] counter · ARGV[1] window ms · ARGV[2] cost · ARGV[3] limit
 * → { allowed 1|0, hits (after, or would-be when rejected), ms until the window resets }
 */
export const fixedWindowConsume = defineScript({
  name: 'fixed-window-consume',
  numberOfKeys: 1,
  source: `
local cost = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  local window = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], cost, 'PX', window)
  return { 1, cost, window }
end
local hits = redis.call('INCRBY', KEYS[1], cost)
if hits > tonumber(ARGV[3]) then
  redis.call('DECRBY', KEYS[1], cost)
  return { 0, hits, ttl }
end
return { 1, hits, ttl }
`,
});

/** KEYS[1] counter · ARGV[1] window ms → { hits, ms until reset } (read only). */
export const fixedWindowPeek = defineScript({
  name: 'fixed-window-peek',
  numberOfKeys: 1,
  source: `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  return { 0, tonumber(ARGV[1]) }
end
return { tonumber(redis.call('GET', KEYS[1])) or 0, ttl }
`,
});

/**
 * Gives back `cost` hits (express-rate-limit's `decrement`, e.g. for skipSuccessfulRequests).
 * Never creates a key and never goes below zero (a plain DECR after expiry would leave `-1` with no TTL).
 * KEYS[1] counter · ARGV[1] cost → hits after
 */
export const fixedWindowRefund = defineScript({
  name: 'fixed-window-refund',
  numberOfKeys: 1,
  source: `
if redis.call('PTTL', KEYS[1]) <= 0 then
  return 0
end
local current = tonumber(redis.call('GET', KEYS[1])) or 0
local take = math.min(current, tonumber(ARGV[1]))
if take > 0 then
  return redis.call('DECRBY', KEYS[1], take)
end
return current
`,
});

/**
 * express-rate-limit's `increment`: counts the hit even when it is over the limit (its contract:
 * `totalHits` includes this hit, and `decrement` may follow for any hit, refused ones included,
 * e.g. a 429 under `skipFailedRequests`). The counter is one integer, so counting refusals costs
 * nothing and ends with the window.
 * KEYS[1] counter · ARGV[1] window ms → { hits including this one, ms until reset }
 */
export const fixedWindowHit = defineScript({
  name: 'fixed-window-hit',
  numberOfKeys: 1,
  source: `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  local window = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], 1, 'PX', window)
  return { 1, window }
end
return { redis.call('INCR', KEYS[1]), ttl }
`,
});
