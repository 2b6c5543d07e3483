import { defineScript } from '@redis-toolkit/connection';

// express-rate-limit's Store contract on the sliding log. `increment` must count every hit,
// refused ones included, because `decrement` may follow for any of them (a 429 is a failed
// request under `skipFailedRequests`). Refused hits are NOT added to the log (a flood would grow
// it without bound and keep a client blocked forever): they are counted in a sibling integer
// (KEYS[2], same hash tag, so same slot) that `decrement` uses up first, so undoing a refused hit
// never frees an admitted unit.

/**
 * KEYS[1] log · KEYS[2] refused counter · ARGV[1] window ms · ARGV[2] limit · ARGV[3] unique
 * member · ARGV[4] now in ms or '' · ARGV[5] '1' to count refusals (a decrement may follow them)
 * → { allowed 1|0, hits including this one, ms until the oldest entry leaves, ms until one fits }
 */
export const slidingWindowHit = defineScript({
  name: 'sliding-window-hit',
  numberOfKeys: 2,
  source: `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count + 1 > limit then
  if ARGV[5] == '1' then
    redis.call('INCR', KEYS[2])
    redis.call('PEXPIRE', KEYS[2], window)
  end
  local nth = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return { 0, count + 1, tonumber(oldest[2]) + window - now, tonumber(nth[2]) + window - now }
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { 1, count + 1, tonumber(oldest[2]) + window - now, 0 }
`,
});

/**
 * `decrement`: undoes a refused hit if one is counted, otherwise removes the OLDEST live entry
 * (stricter than removing the newest, never looser).
 * KEYS[1] log · KEYS[2] refused counter · ARGV[1] window ms · ARGV[2] now in ms or '' → 1|0
 */
export const slidingWindowDecrement = defineScript({
  name: 'sliding-window-decrement',
  numberOfKeys: 2,
  source: `
local refused = tonumber(redis.call('GET', KEYS[2]) or '0')
if refused > 0 then
  redis.call('DECR', KEYS[2])
  return 1
end
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return #redis.call('ZPOPMIN', KEYS[1], 1) / 2
`,
});
