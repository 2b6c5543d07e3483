// The Redis work of the app's cached `GET /dental/staff` hit, sent with raw ioredis and nothing
// else: the three commands the app sends together (see the "What Redis costs per request" table)
// — the limiter script (two fixed windows: PTTL + INCR each, as the stacked script does on its
// common path), the session GET and the response cache's MGET of its entry and tag time — then
// the session JSON parsed. A server doing only this marks how far the full stack could get with
// every middleware costing nothing.
import { Redis } from 'ioredis';

export interface RedisFloor {
  hit(): Promise<void>;
  close(): Promise<void>;
}

const LIMITS = `
local out = {}
for i = 1, #KEYS do
  local ttl = redis.call('PTTL', KEYS[i])
  local used
  if ttl <= 0 then
    redis.call('SET', KEYS[i], 1, 'PX', ARGV[1])
    used = 1
  else
    used = redis.call('INCR', KEYS[i])
  end
  out[#out + 1] = used
end
return out`;

export async function redisFloor(url: string, body: unknown): Promise<RedisFloor> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  const prefix = `bench:floor:${process.pid}`;
  const keys = {
    // one hash tag, as the app's limiter keys share the client key
    limits: [`${prefix}:{127.0.0.1}:global`, `${prefix}:{127.0.0.1}:api`],
    session: `${prefix}:sess`,
    entry: `${prefix}:entry`,
    tag: `${prefix}:tag`,
  };
  // a session of the app's shape and size: cookie, staff, timestamps
  const session = {
    cookie: {
      originalMaxAge: 28_800_000,
      expires: new Date(Date.now() + 28_800_000).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
      sameSite: 'strict',
    },
    staff: { id: 1, name: 'Dr. Alice Moreno', role: 'admin', email: 'admin@dental.test' },
    createdAt: Date.now(),
  };
  await redis.set(keys.session, JSON.stringify(session), 'PX', 3_600_000);
  await redis.set(keys.entry, JSON.stringify(body), 'PX', 3_600_000);
  await redis.set(keys.tag, String(Date.now()), 'PX', 3_600_000);
  const sha = String(await redis.script('LOAD', LIMITS));
  return {
    async hit() {
      const [, raw] = await Promise.all([
        redis.evalsha(sha, 2, ...keys.limits, '60000'),
        redis.get(keys.session),
        redis.mget(keys.entry, keys.tag),
      ]);
      if (raw) JSON.parse(raw);
    },
    async close() {
      await redis.del(keys.session, keys.entry, keys.tag, ...keys.limits);
      redis.disconnect();
    },
  };
}
