import { defineScript } from './script.js';

/**
 * Fixed window, one counter per key: a string holding the hits of the current window, expiring
 * (PX) when the window ends. Same layout as rate-limit-redis, so both can read each other's keys.
 * A request that would pass the limit is rejected without being counted.
 *
 * KEYS[1] counter · ARGV[1] window ms · ARGV[2] cost · ARGV[3] limit
 * → { allowed 1|0, hits (after, or would-be when rejected), ms until the window resets }
 */
export const fixedWindowConsume = defineScript(
  'fixed-window-consume',
  `
local window = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
local current = 0
local fresh = ttl <= 0
if fresh then
  ttl = window
else
  current = tonumber(redis.call('GET', KEYS[1])) or 0
end
if current + cost > limit then
  return { 0, current + cost, ttl }
end
if fresh then
  redis.call('SET', KEYS[1], cost, 'PX', window)
else
  redis.call('INCRBY', KEYS[1], cost)
end
return { 1, current + cost, ttl }
`,
);

/** KEYS[1] counter · ARGV[1] window ms → { hits, ms until reset } (read only). */
export const fixedWindowPeek = defineScript(
  'fixed-window-peek',
  `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  return { 0, tonumber(ARGV[1]) }
end
return { tonumber(redis.call('GET', KEYS[1])) or 0, ttl }
`,
);

/**
 * Gives back `cost` hits (express-rate-limit's `decrement`, e.g. for skipSuccessfulRequests).
 * Never creates a key and never goes below zero (a plain DECR after expiry would leave `-1` with no TTL).
 * KEYS[1] counter · ARGV[1] cost → hits after
 */
export const fixedWindowRefund = defineScript(
  'fixed-window-refund',
  `
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
);
