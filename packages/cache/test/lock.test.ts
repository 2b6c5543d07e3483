import { type RedisServer, startRedis } from '@redis-toolkit/testing';
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

interface Report {
  loaderRuns: number;
  redisCommands: number;
  values: number[];
}

it('lock: true runs the loader once across 4 processes (1,000 concurrent cold calls), waiters do not spin', async () => {
  const prefix = `lock${Date.now()}:`;
  const children = Array.from({ length: 4 }, () =>
    forkFixture('lock-worker.ts', [server.url, prefix, 'report']),
  );
  try {
    await Promise.all(children.map((c) => nextMessage(c, (m) => m === 'ready')));
    const go = Date.now() + 300;
    const reports = children.map((c) => nextMessage<Report>(c, (m) => typeof m === 'object'));
    for (const c of children) c.send({ go });
    const results = await Promise.all(reports);
    const totalRuns = results.reduce((a, r) => a + r.loaderRuns, 0);
    expect(totalRuns).toBe(1);
    // every process got the one loaded value
    const pids = new Set(results.flatMap((r) => r.values));
    expect(pids.size).toBe(1);
    // 250 in-process callers share one flight; each waiting process used a handful of commands, not a poll loop
    for (const r of results) expect(r.redisCommands).toBeLessThan(20);
    console.log(
      `lock: loader runs=${totalRuns}, redis commands per process=${results.map((r) => r.redisCommands).join(',')}`,
    );
  } finally {
    for (const c of children) c.kill();
  }
}, 60_000);

it('a dead holder’s lock expires and another process then loads', async () => {
  const prefix = `lockdead${Date.now()}:`;
  const redis = new Redis(server.url);
  try {
    const cache = createCache({
      redis,
      prefix,
      maxMemoryEntries: 10,
      l1: { mode: 'tier' },
      lock: { ttl: '500ms', wait: '5s' },
    });
    // a holder that died: its lock is in Redis and nobody will release it or announce anything
    await redis.set(`${prefix}cache:#lock:${prefix}cache:k`, 'dead-holder', 'PX', 500);
    const started = Date.now();
    let runs = 0;
    const value = await cache.getOrSet('k', () => ++runs, { lock: true });
    expect(value).toBe(1);
    expect(runs).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(4000);
    await cache.close();
  } finally {
    redis.disconnect();
  }
});
