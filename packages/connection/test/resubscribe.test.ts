import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, loadRedisConfig, observeResubscribes } from '../src/index.js';

/**
 * ioredis re-sends SUBSCRIBE after a reconnect and drops its promise; a close before the reply
 * rejected it unhandled (seen once in CI as "Connection is closed." failing the app's test run).
 * Without observeResubscribes each round below is one unhandled rejection, which Vitest turns
 * into a failed run.
 */
describe('a subscriber connection closed while its re-SUBSCRIBE is in flight', () => {
  let server: RedisServer;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    server = await startRedis();
    process.on('unhandledRejection', record);
  });
  afterAll(async () => {
    process.off('unhandledRejection', record);
    await server.stop();
  });
  afterEach(() => {
    unhandled.length = 0;
  });

  /** Subscribes, restarts the server, and cuts the socket just after ioredis re-subscribed. */
  async function cutAfterResubscribe(subscriber: Redis): Promise<void> {
    subscriber.on('error', () => {});
    await subscriber.subscribe('news');
    await server.kill();
    await server.restart();
    await new Promise<void>((resolve) => {
      // 'ready' is emitted just before ioredis writes the SUBSCRIBE; the cut comes after it
      subscriber.once('ready', () =>
        setImmediate(() => {
          subscriber.disconnect();
          subscriber.stream?.destroy();
          resolve();
        }),
      );
    });
    await waitUntil(() => subscriber.status === 'end', { what: 'subscriber ended' });
    // an unhandled rejection is reported after the microtask queue drains
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it('RedisConnection.duplicate() observes it', async () => {
    const redis = createRedis(loadRedisConfig({ REDIS_URL: server.url }));
    try {
      await redis.waitUntilReady(10_000);
      await cutAfterResubscribe(redis.duplicate() as Redis);
      expect(unhandled).toEqual([]);
    } finally {
      await redis.close({ timeoutMs: 500 });
    }
  });

  it('observeResubscribes on a client of the caller observes it, and a caller still sees its own rejection', async () => {
    const redis = createRedis(loadRedisConfig({ REDIS_URL: server.url }));
    try {
      await redis.waitUntilReady(10_000);
      const subscriber = observeResubscribes((redis.client as Redis).duplicate());
      expect(observeResubscribes(subscriber)).toBe(subscriber);
      await cutAfterResubscribe(subscriber);
      expect(unhandled).toEqual([]);
      await expect(subscriber.subscribe('late')).rejects.toThrow(/Connection is closed/);
    } finally {
      await redis.close({ timeoutMs: 500 });
    }
  });
});
