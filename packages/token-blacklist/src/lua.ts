import { defineScript } from '@redis-toolkit/connection';

/**
 * SET key value PX ttl, unless the key already holds a value >= value. Used for token
 * revocations (value = expiry ms, so the longest life wins) and user cut-offs (value = cut-off
 * ms, so a cut-off never moves backwards). One key per call: safe on Cluster.
 * Returns the value now stored.
 */
export const SET_MAX = defineScript({
  name: 'blacklist setMax',
  numberOfKeys: 1,
  source: `
local current = tonumber(redis.call('GET', KEYS[1]) or '')
local value = tonumber(ARGV[1])
if current and current >= value then
  return redis.call('GET', KEYS[1])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`,
});

/** EVALSHA on a given connection (the durable one), with the runtime's NOSCRIPT fallback. */
export { evalScriptOn as evalOn } from '@redis-toolkit/connection';
