import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedis, RedisRuntime } from '../src/index.js';

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

// The client-level `commandTimeout` of `createRedis` clients (command-deadlines.ts): one sweep,
// no ioredis timer per command, and the same stall credit as the runtime.
it('createRedis: commandTimeout is a sweep (no ioredis timer), credits a stall, still times out a paused server', async () => {
  const connection = createRedis({ url: redis.url, commandTimeout: '300ms' }, { name: 'stall' });
  const client = connection.client as Redis;
  try {
    await connection.waitUntilReady();
    expect(client.options.commandTimeout).toBeUndefined();
    const copy = client.duplicate();
    expect(copy.options.commandTimeout).toBe(300);
    copy.disconnect();
    await client.set('stall:c', 'v');
    for (let i = 0; i < 3; i++) {
      const get = client.get('stall:c');
      stall(900);
      await expect(get).resolves.toBe('v');
    }
    redis.pause();
    try {
      const started = performance.now();
      await expect(client.get('stall:c')).rejects.toThrow('Command timed out');
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(1_000);
    } finally {
      redis.resume();
    }
    // pipelines go through the same sweep
    redis.pause();
    try {
      // as with ioredis's own timer: exec resolves, each command's slot holds its error
      const replies = await client.pipeline().get('stall:c').exec();
      expect(replies?.[0]?.[0]).toMatchObject({ message: 'Command timed out' });
    } finally {
      redis.resume();
    }
  } finally {
    await connection.close();
  }
});
