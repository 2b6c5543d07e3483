import { defineScript, type LuaScript } from '@redis-toolkit/connection';

/**
 * Every limit of one request in one script, with the semantics of the same limits stacked as
 * separate express-rate-limit middlewares (`app.use(a); app.use(b)`): in order, each counts the
 * request as the store's `increment` would (fixed window: the hit counts even when refused;
 * GCRA and sliding log: a refused hit moves nothing and is counted in the sibling `:refused` key
 * only when a decrement may follow it), and the first refusal ends the request, so the limits
 * after it are not evaluated. The keys share the client key as hash tag (one Cluster slot).
 *
 * KEYS: two per limit, in order: the limit's key and its `:refused` sibling.
 * ARGV[1] now in µs or '' (Redis TIME); then four per limit: algorithm ('f' fixed, 's' sliding
 * log, 'g' GCRA), a, b, c, d — f: window ms, limit · s: window ms, limit, unique member, '1' to
 * count refusals · g: T µs, burst, window ms, '1' to count refusals.
 * → { limits evaluated, then per evaluated limit: admitted 1|0, used (this hit included), ms until
 * reset, ms until one fits (0 when admitted) } — the replies of the per-algorithm hit scripts.
 */
const source = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local nowMs = math.floor(now / 1000)
local n = #KEYS / 2
local out = { 0 }
for i = 1, n do
  local j = 2 + (i - 1) * 5
  local algo = ARGV[j]
  local a = tonumber(ARGV[j + 1])
  local b = tonumber(ARGV[j + 2])
  local key = KEYS[2 * i - 1]
  local refused = KEYS[2 * i]
  local ok, used, reset, retry
  if algo == 'f' then
    local ttl = redis.call('PTTL', key)
    if ttl <= 0 then
      redis.call('SET', key, 1, 'PX', a)
      used = 1
      reset = a
    else
      used = redis.call('INCR', key)
      reset = ttl
    end
    ok = used <= b
    retry = ok and 0 or reset
  elseif algo == 's' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', nowMs - a)
    local count = redis.call('ZCARD', key)
    used = count + 1
    if used > b then
      ok = false
      if ARGV[j + 4] == '1' then
        redis.call('INCR', refused)
        redis.call('PEXPIRE', refused, a)
      end
      local nth = redis.call('ZRANGE', key, count - b, count - b, 'WITHSCORES')
      retry = tonumber(nth[2]) + a - nowMs
    else
      ok = true
      retry = 0
      redis.call('ZADD', key, nowMs, ARGV[j + 3])
      redis.call('PEXPIRE', key, a)
    end
    reset = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) + a - nowMs
  else
    local tat = tonumber(redis.call('GET', key)) or now
    if tat < now then tat = now end
    local newTat = tat + a
    local limitAt = now + b * a
    if newTat > limitAt then
      ok = false
      if ARGV[j + 4] == '1' then
        redis.call('INCR', refused)
        redis.call('PEXPIRE', refused, ARGV[j + 3])
      end
      used = b - math.floor((limitAt - tat) / a) + 1
      reset = math.ceil((tat - now) / 1000)
      retry = math.ceil((newTat - limitAt) / 1000)
    else
      ok = true
      reset = math.ceil((newTat - now) / 1000)
      redis.call('SET', key, newTat, 'PX', reset)
      used = b - math.floor((limitAt - newTat) / a)
      retry = 0
    end
  end
  out[1] = i
  local k = 2 + (i - 1) * 4
  out[k] = ok and 1 or 0
  out[k + 1] = used
  out[k + 2] = reset
  out[k + 3] = retry
  if not ok then return out end
end
return out
`;

const byCount = new Map<number, LuaScript>();

/** The stacked script for `n` limits (2n keys; one SHA: the source is the same for every n). */
export function stackedScript(n: number): LuaScript {
  let script = byCount.get(n);
  if (!script) {
    script = defineScript({ name: 'stacked-limits', numberOfKeys: 2 * n, source });
    byCount.set(n, script);
  }
  return script;
}
