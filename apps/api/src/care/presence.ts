import type { RedisConnection } from '@redis-toolkit/connection';

export const PRESENCE_TTL_MS = 5 * 60_000;

/**
 * Presence: one sorted set `care:presence`, member = carer id, score = last heartbeat (ms).
 * Online = heartbeat within the last 5 minutes; older members are trimmed on every call and the
 * key itself expires 5 minutes after the last heartbeat. Calls go through the connection's shared
 * runtime (the packages' health state): during an outage nothing is sent and this instance's own
 * heartbeats answer from memory at once; a hung server costs one `timeoutMs` for everyone.
 */
export function createPresence(redis: RedisConnection, key = 'care:presence', timeoutMs = 500) {
  const local = new Map<string, number>();
  const runtime = redis.runtime;

  return {
    async heartbeat(
      carerId: number,
      now = Date.now(),
    ): Promise<{ lastSeen: number; source: 'redis' | 'memory' }> {
      local.set(String(carerId), now);
      if (runtime) {
        try {
          await runtime.run(
            'presence.heartbeat',
            () =>
              runtime.client
                .multi()
                .zadd(key, now, String(carerId))
                .zremrangebyscore(key, '-inf', now - PRESENCE_TTL_MS)
                .pexpire(key, PRESENCE_TTL_MS)
                .exec(),
            timeoutMs,
          );
          return { lastSeen: now, source: 'redis' };
        } catch {
          // fall through to memory
        }
      }
      return { lastSeen: now, source: 'memory' };
    },
    async online(
      now = Date.now(),
    ): Promise<{ online: { carerId: number; lastSeen: string }[]; source: 'redis' | 'memory' }> {
      const since = now - PRESENCE_TTL_MS;
      if (runtime) {
        try {
          const flat = await runtime.run(
            'presence.online',
            () => runtime.client.zrangebyscore(key, `(${since}`, '+inf', 'WITHSCORES'),
            timeoutMs,
          );
          const online: { carerId: number; lastSeen: string }[] = [];
          for (let i = 0; i + 1 < flat.length; i += 2) {
            online.push({
              carerId: Number(flat[i]),
              lastSeen: new Date(Number(flat[i + 1])).toISOString(),
            });
          }
          return { online: online.reverse(), source: 'redis' };
        } catch {
          // fall through to memory
        }
      }
      for (const [id, at] of local) if (at <= since) local.delete(id);
      const online = [...local]
        .sort((a, b) => b[1] - a[1])
        .map(([id, at]) => ({ carerId: Number(id), lastSeen: new Date(at).toISOString() }));
      return { online, source: 'memory' };
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
