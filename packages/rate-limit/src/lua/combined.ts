import { defineScript, type LuaScript } from '@redis-toolkit/connection';

/**
 * Every limit of one request in one script, all or nothing: phase 1 decides each limit without
 * counting; only when every one admits does phase 2 count the request in all of them. A request
 * refused by one limit therefore consumes none (not even the refusing one, whose window is full
 * anyway). The keys share the client key as hash tag, so on a Cluster they are in one slot.
 *
 * ARGV[1] now in µs or '' (Redis TIME); then four per limit, in KEYS order: algorithm ('f' fixed,
 * 's' sliding log, 'g' GCRA), a, b, c — f: window ms, limit · s: window ms, limit, unique member ·
 * g: T µs, burst.
 * → { 1 if all admitted else 0, then per limit: admitted 1|0, used, ms until reset, ms until one fits }
 * where `used` is after counting when all admitted, else what it would be with this request for
 * a refusing limit and what it is for the others.
 */
const source = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local nowMs = math.floor(now / 1000)
local n = #KEYS
local out = { 1 }
local commit = {}
for i = 1, n do
  local j = 2 + (i - 1) * 4
  local algo = ARGV[j]
  local a = tonumber(ARGV[j + 1])
  local b = tonumber(ARGV[j + 2])
  local key = KEYS[i]
  local ok, used, reset, retry
  if algo == 'f' then
    local ttl = redis.call('PTTL', key)
    local hits = 0
    if ttl > 0 then
      hits = tonumber(redis.call('GET', key)) or 0
      commit[i] = false
    else
      ttl = a
      commit[i] = true
    end
    used = hits + 1
    reset = ttl
    ok = used <= b
    retry = ok and 0 or ttl
  elseif algo == 's' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', nowMs - a)
    local count = redis.call('ZCARD', key)
    used = count + 1
    if count == 0 then
      reset = a
    else
      reset = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) + a - nowMs
    end
    ok = used <= b
    retry = 0
    if not ok then
      retry = tonumber(redis.call('ZRANGE', key, count - b, count - b, 'WITHSCORES')[2]) + a - nowMs
    end
  else
    local tat = tonumber(redis.call('GET', key)) or now
    if tat < now then tat = now end
    local newTat = tat + a
    local limitAt = now + b * a
    ok = newTat <= limitAt
    if ok then
      used = b - math.floor((limitAt - newTat) / a)
      reset = math.ceil((newTat - now) / 1000)
      retry = 0
      commit[i] = newTat
    else
      used = b - math.floor((limitAt - tat) / a) + 1
      reset = math.ceil((tat - now) / 1000)
      retry = math.ceil((newTat - limitAt) / 1000)
    end
  end
  if not ok then out[1] = 0 end
  local k = 2 + (i - 1) * 4
  out[k] = ok and 1 or 0
  out[k + 1] = used
  out[k + 2] = reset
  out[k + 3] = retry
end
for i = 1, n do
  local j = 2 + (i - 1) * 4
  local k = 2 + (i - 1) * 4
  if out[1] == 1 then
    local algo = ARGV[j]
    local key = KEYS[i]
    if algo == 'f' then
      if commit[i] then
        redis.call('SET', key, 1, 'PX', ARGV[j + 1])
      else
        redis.call('INCR', key)
      end
    elseif algo == 's' then
      redis.call('ZADD', key, nowMs, ARGV[j + 3])
      redis.call('PEXPIRE', key, ARGV[j + 1])
    else
      redis.call('SET', key, commit[i], 'PX', out[k + 2])
    end
  elseif out[k] == 1 then
    out[k + 1] = out[k + 1] - 1
  end
end
return out
`;

const byCount = new Map<number, LuaScript>();

/** The combined script for `n` keys (one SHA: the source is the same for every n). */
export function combinedScript(n: number): LuaScript {
  let script = byCount.get(n);
  if (!script) {
    script = defineScript({ name: 'combined-limits', numberOfKeys: n, source });
    byCount.set(n, script);
  }
  return script;
}
