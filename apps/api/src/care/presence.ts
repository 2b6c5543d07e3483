import type { RedisConnection } from '@redis-toolkit/connection';

export const PRESENCE_TTL_MS = 5 * 60_000;

/**
 * Presence: one sorted set `care:presence`, member = carer id, score = last heartbeat (ms).
 * Online = heartbeat within the last 5 minutes; older members are trimmed on every call and the
 * key itself expires 5 minutes after the last heartbeat. While Redis is unreachable, this
 * instance's own heartbeats are answered from memory.
 */
export function createPresence(redis: RedisConnection, key = 'care:presence', timeoutMs = 500) {
  const local = new Map<string, number>();
  const bounded = <T>(p: Promise<T>) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('presence: redis timeout')), timeoutMs).unref(),
      ),
    ]);
  const usable = () => (redis.status === 'ready' ? redis.client : null);

  return {
    async heartbeat(
      carerId: number,
      now = Date.now(),
    ): Promise<{ lastSeen: number; source: 'redis' | 'memory' }> {
      local.set(String(carerId), now);
      const client = usable();
      if (client) {
        try {
          await bounded(
            client
              .multi()
              .zadd(key, now, String(carerId))
              .zremrangebyscore(key, '-inf', now - PRESENCE_TTL_MS)
              .pexpire(key, PRESENCE_TTL_MS)
              .exec(),
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
      const client = usable();
      if (client) {
        try {
          const flat = (await bounded(
            client.zrangebyscore(key, `(${since}`, '+inf', 'WITHSCORES'),
          )) as string[];
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
