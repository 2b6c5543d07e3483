// Child process of the cache-tracking scenario: one cache ('tier' memory) whose memory copies
// another process's writes must drop. Reports when each drop happened (ms since epoch, sub-ms).
import { createCache } from '@redis-toolkit/cache';
import { Redis } from 'ioredis';

const [url, prefix, invalidation] = process.argv.slice(2);
const redis = new Redis(url);
const cache = createCache({
  redis,
  prefix,
  maxMemoryEntries: 100_000,
  l1: { mode: 'tier', invalidation },
});
const now = () => performance.timeOrigin + performance.now();

cache.on('invalidation:received', ({ keys, receivedAt }) => {
  for (const key of keys ?? []) process.send?.({ type: 'dropped', key, at: receivedAt });
});
cache.on('bus:received', ({ keys }) => {
  const at = now();
  for (const key of keys) process.send?.({ type: 'dropped', key, at });
});

process.on('message', async (m) => {
  if (m.op === 'prime') {
    // read until memory serves each key (a fill right after an invalidation of the key is refused)
    let inMemory = 0;
    for (const key of m.keys) {
      for (let i = 0; i < 400; i++) {
        if ((await cache.getWithMeta(key)).source === 'l1') {
          inMemory++;
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    process.send?.({ type: 'primed', inMemory });
  } else if (m.op === 'stop') {
    await cache.close();
    redis.disconnect();
    process.exit(0);
  }
});

await cache.ready();
for (
  let i = 0;
  i < 500 && cache.stats().invalidation !== (invalidation === 'bus' ? 'bus' : 'tracking');
  i++
) {
  await new Promise((r) => setTimeout(r, 10));
}
process.send?.({ type: 'ready', invalidation: cache.stats().invalidation });
