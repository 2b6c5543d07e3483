import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCache } from '../src/index.js';
import { forkFixture, nextMessage } from './fixtures/fork.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

interface ValueReply {
  type: 'value';
  id: number;
  value: unknown;
  l1: number;
}

it('set/del/tag invalidation on one process removes the L1 copy in another (delay measured)', async () => {
  const prefix = `bus${Date.now()}:`;
  const child = forkFixture('bus-worker.ts', [server.url, prefix]);
  const redis = new Redis(server.url);
  const cache = createCache({ redis, prefix, maxMemoryEntries: 1000, l1: { mode: 'tier' } });
  let id = 0;
  const childGet = async (key: string): Promise<ValueReply> => {
    const my = ++id;
    const reply = nextMessage<ValueReply>(
      child,
      (m) => (m as ValueReply).type === 'value' && (m as ValueReply).id === my,
    );
    child.send({ op: 'get', key, id: my });
    return reply;
  };
  const delays: number[] = [];
  child.on('message', (m: { type: string; delayMs?: number }) => {
    if (m.type === 'received' && m.delayMs !== undefined) delays.push(m.delayMs);
  });
  try {
    await nextMessage(child, (m) => (m as { type: string }).type === 'ready');
    await cache.ready();
    await cache.set('k', 'v1');
    expect((await childGet('k')).value).toBe('v1'); // now in the child's L1
    await cache.set('k', 'v2');
    await waitUntil(async () => (await childGet('k')).value === 'v2', {
      timeoutMs: 5000,
      intervalMs: 10,
      what: 'child sees v2',
    });
    await cache.del('k');
    await waitUntil(async () => (await childGet('k')).value === null, {
      timeoutMs: 5000,
      intervalMs: 10,
      what: 'child sees delete',
    });
    await cache.set('t', 'tagged', { tags: ['x'] });
    expect((await childGet('t')).value).toBe('tagged');
    await cache.invalidateTags(['x']);
    await waitUntil(async () => (await childGet('t')).value === null, {
      timeoutMs: 5000,
      intervalMs: 10,
      what: 'child sees tag',
    });

    // delay: 200 sets, one at a time, each observed by the other process
    delays.length = 0;
    for (let i = 0; i < 200; i++) {
      const before = delays.length;
      await cache.set(`d${i}`, i);
      await waitUntil(() => delays.length > before, {
        timeoutMs: 5000,
        intervalMs: 1,
        what: 'bus message',
      });
    }
    const sorted = [...delays].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length * 0.5)]!;
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    console.log(
      `bus invalidation delay over ${sorted.length} messages: p50=${p50.toFixed(2)} ms p99=${p99.toFixed(2)} ms`,
    );
    expect(p50).toBeLessThan(100);
    // our own messages are ignored: the publisher keeps its L1 copy
    expect(await cache.get('d199')).toBe(199);
    expect(cache.stats().busReceived).toBe(0);
  } finally {
    child.send({ op: 'exit' });
    await cache.close();
    redis.disconnect();
  }
}, 60_000);

it('drops all L1 when the bus subscriber reconnects (messages may have been missed)', async () => {
  const prefix = `busre${Date.now()}:`;
  const redis = new Redis(server.url);
  const cache = createCache({ redis, prefix, maxMemoryEntries: 1000, l1: { mode: 'tier' } });
  try {
    await cache.ready();
    let resets = 0;
    cache.on('bus:reset', () => resets++);
    await cache.set('a', 1);
    expect(cache.stats().l1.entries).toBe(1);
    await server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await waitUntil(() => resets > 0, { timeoutMs: 10_000, what: 'bus reset' });
    expect(cache.stats().l1.entries).toBe(0);
    expect(await cache.get('a')).toBe(1); // still in L2
  } finally {
    await cache.close();
    redis.disconnect();
  }
});
