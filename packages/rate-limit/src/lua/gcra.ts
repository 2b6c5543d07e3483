import { defineScript } from '@redis-toolkit/connection';

// GCRA (generic cell rate algorithm): one string per key holding the theoretical arrival time
// (TAT) in integer µs. A unit is admitted when, after adding it, TAT - now <= burst × T, where T is
// the emission interval (window / limit, rounded up to the µs so the rate is never looser). The
// clock is the Redis server's TIME (one clock for every process), unless a test passes `now`.
// TAT is passed to SET as a Lua number: redis.call converts it exactly (Redis 7: shortest
// round-trip form, 6.x: %.17g), unlike Lua's tostring (14 digits; epoch µs need 16), so no
// string.format is needed.

const NOW = `
local now = tonumber(ARGV[NOW_ARG])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
`;

const now = (index: number) => NOW.replace('NOW_ARG', String(index));

/**
 * KEYS[1] TAT · ARGV[1] T µs · ARGV[2] burst · ARGV[3] cost · ARGV[4] now µs or ''
 * → { allowed 1|0, used (burst - remaining; + cost when refused), ms until full, ms until `cost` fits }
 */
export const gcraConsume = defineScript({
  name: 'gcra-consume',
  numberOfKeys: 1,
  source: `
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
${now(4)}
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local newTat = tat + cost * T
local limitAt = now + burst * T
if newTat > limitAt then
  local remaining = math.floor((limitAt - tat) / T)
  return { 0, burst - remaining + cost, math.ceil((tat - now) / 1000), math.ceil((newTat - limitAt) / 1000) }
end
local ttl = math.ceil((newTat - now) / 1000)
redis.call('SET', KEYS[1], newTat, 'PX', ttl)
return { 1, burst - math.floor((limitAt - newTat) / T), ttl, 0 }
`,
});

/** Read only. KEYS[1] TAT · ARGV[1] T µs · ARGV[2] burst · ARGV[3] now µs or '' → { used, ms until full, ms until one fits } */
export const gcraPeek = defineScript({
  name: 'gcra-peek',
  numberOfKeys: 1,
  source: `
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
${now(3)}
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local limitAt = now + burst * T
local retry = 0
if tat + T > limitAt then retry = math.ceil((tat + T - limitAt) / 1000) end
return { burst - math.floor((limitAt - tat) / T), math.ceil((tat - now) / 1000), retry }
`,
});

/**
 * Gives back `cost` units: TAT moves back by cost × T, never before now (a key back at now is deleted).
 * KEYS[1] TAT · ARGV[1] T µs · ARGV[2] cost · ARGV[3] now µs or '' → 1
 */
export const gcraRefund = defineScript({
  name: 'gcra-refund',
  numberOfKeys: 1,
  source: `
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
${now(3)}
local back = tat - tonumber(ARGV[2]) * tonumber(ARGV[1])
if back <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], back, 'PX', math.ceil((back - now) / 1000))
end
return 1
`,
});

/**
 * express-rate-limit's `increment` on GCRA: a refused hit does not move TAT (a flood would otherwise
 * keep a client blocked forever); when a decrement may follow (ARGV[5] = '1') it is counted in the
 * sibling KEYS[2] instead, which `gcraDecrement` uses up first (see lua/sliding-store.ts).
 * KEYS[1] TAT · KEYS[2] refused counter · ARGV[1] T µs · ARGV[2] burst · ARGV[3] window ms ·
 * ARGV[4] now µs or '' · ARGV[5] '1' to count refusals → as gcraConsume with cost 1
 */
export const gcraHit = defineScript({
  name: 'gcra-hit',
  numberOfKeys: 2,
  source: `
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
${now(4)}
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local newTat = tat + T
local limitAt = now + burst * T
if newTat > limitAt then
  if ARGV[5] == '1' then
    redis.call('INCR', KEYS[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
  local remaining = math.floor((limitAt - tat) / T)
  return { 0, burst - remaining + 1, math.ceil((tat - now) / 1000), math.ceil((newTat - limitAt) / 1000) }
end
local ttl = math.ceil((newTat - now) / 1000)
redis.call('SET', KEYS[1], newTat, 'PX', ttl)
return { 1, burst - math.floor((limitAt - newTat) / T), ttl, 0 }
`,
});

/** `decrement`: a counted refusal first, else one unit back. KEYS as gcraHit · ARGV[1] T µs · ARGV[2] now µs or '' */
export const gcraDecrement = defineScript({
  name: 'gcra-decrement',
  numberOfKeys: 2,
  source: `
local refused = tonumber(redis.call('GET', KEYS[2]) or '0')
if refused > 0 then
  redis.call('DECR', KEYS[2])
  return 1
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
${now(2)}
local back = tat - tonumber(ARGV[1])
if back <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], back, 'PX', math.ceil((back - now) / 1000))
end
return 1
`,
});
