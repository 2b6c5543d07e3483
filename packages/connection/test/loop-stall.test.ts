import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisRuntime } from '../src/index.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Keeps the event loop busy, as a long synchronous task (or a starved CPU) does. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

it('a reply that arrived while the event loop was stalled is not a timeout, and starts no outage', async () => {
  const client = new Redis(redis.url);
  await client.set('stall:k', 'v');
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 200, watchdogIntervalMs: 0 });
  for (let i = 0; i < 5; i++) {
    const call = runtime.run('get', () => client.get('stall:k'));
    // the server answers within a millisecond; the loop only looks 3 deadlines later
    stall(600);
    await expect(call).resolves.toBe('v');
    expect(runtime.available).toBe(true);
  }
  client.disconnect();
});

it('a server that really does not answer still times out once the loop runs again', async () => {
  const client = new Redis(redis.url);
  await client.ping();
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 200, watchdogIntervalMs: 0 });
  redis.pause();
  try {
    const call = runtime.run('get', () => client.get('stall:k'));
    stall(400);
    await expect(call).rejects.toMatchObject({ code: 'E_REDIS_UNAVAILABLE', reason: 'timeout' });
    expect(runtime.available).toBe(false);
  } finally {
    redis.resume();
  }
  client.disconnect();
});
