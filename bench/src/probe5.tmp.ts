import { createCache } from '@redis-toolkit/cache';
import { startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
const server = await startRedis();
const v = { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `Patient ${i}`, note: 'x'.repeat(50), at: 1_700_000_000 + i })) };
async function bench(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 2000; i++) await fn();
  const n = 8000; const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  console.log(name.padEnd(30), (n / ((performance.now() - t) / 1000) / 1000).toFixed(1), 'k/s');
}
const raw = new Redis(server.url);
const tiered = createCache({ redis: new Redis(server.url), prefix: 'a:', l1: { maxEntries: 1000 } });
const tieredNoBus = createCache({ redis: new Redis(server.url), prefix: 'b:', l1: { maxEntries: 1000 }, bus: false });
const l2 = createCache({ redis: new Redis(server.url), prefix: 'c:', bus: false });
await tiered.ready();
for (let round = 0; round < 3; round++) {
await bench('raw set', () => raw.set('r', JSON.stringify(v), 'PX', 100000));
await bench('tiered set', () => tiered.set('k', v));
await bench('tiered nobus set', () => tieredNoBus.set('k', v));
await bench('l2 nobus set', () => l2.set('k', v));
}
process.exit(0);
