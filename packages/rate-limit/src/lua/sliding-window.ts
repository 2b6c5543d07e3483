import { defineScript } from '@redis-toolkit/connection';

/**
 * Sliding log, exact: a sorted set per key with one member per admitted unit of cost, scored by
 * its admission time in ms. An entry counts while `now - window < score`, so no window of length
 * `window` ever holds more than `limit` admitted units. Rejected requests are not recorded. Time
 * comes from the Redis server (TIME) unless ARGV[5] passes one, so processes with skewed clocks
 * still agree.
 *
 * KEYS[1] log · ARGV[1] window ms · ARGV[2] cost · ARGV[3] limit · ARGV[4] unique member prefix ·
 * ARGV[5] now in ms or ''
 * → { allowed 1|0, hits (after, or would-be when rejected), ms until the oldest entry leaves,
 *     ms until `cost` units fit (0 when allowed) }
 */
export const slidingWindowConsume = defineScript({
  name: 'sliding-window-consume',
  numberOfKeys: 1,
  source: `
local window = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count + cost > limit then
  local need = count + cost - limit - 1
  local nth = redis.call('ZRANGE', KEYS[1], need, need, 'WITHSCORES')
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return { 0, count + cost, tonumber(oldest[2]) + window - now, tonumber(nth[2]) + window - now }
end
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { 1, count + cost, tonumber(oldest[2]) + window - now, 0 }
`,
});

/**
 * Read only. KEYS[1] log · ARGV[1] window ms · ARGV[2] limit · ARGV[3] now in ms or ''
 * → { hits in the window, ms until the oldest leaves, ms until one unit fits }
 */
export const slidingWindowPeek = defineScript({
  name: 'sliding-window-peek',
  numberOfKeys: 1,
  source: `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
local count = #live / 2
if count == 0 then
  return { 0, window, 0 }
end
local resetIn = tonumber(live[2]) + window - now
local retry = 0
if count >= limit then
  retry = tonumber(live[(count - limit) * 2 + 2]) + window - now
end
return { count, resetIn, retry }
`,
});

/**
 * Gives back `cost` units by removing the OLDEST live entries. The entries left are never older
 * than those of the requests that really count, so a refund can only make the limiter stricter,
 * never admit more than `limit` in a window. KEYS[1] log · ARGV[1] window ms · ARGV[2] cost ·
 * ARGV[3] now in ms or '' → entries removed
 */
export const slidingWindowRefund = defineScript({
  name: 'sliding-window-refund',
  numberOfKeys: 1,
  source: `
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[2]))
return #popped / 2
`,
});
