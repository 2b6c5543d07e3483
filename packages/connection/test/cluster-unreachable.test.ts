import { freePort, waitUntil } from '@redis-toolkit/testing';
import type { Cluster } from 'ioredis';
import { expect, it, onTestFinished } from 'vitest';
import { createRedis, loadRedisConfig } from '../src/index.js';
import { captureLogger, timed } from './helpers.js';

it('a Cluster that was never reachable: commands and pipelines settle within commandTimeout', async () => {
  const ports = [await freePort(), await freePort()];
  const { logger, lines } = captureLogger();
  const redis = createRedis(
    loadRedisConfig({
      REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_COMMAND_TIMEOUT: '400ms',
    }),
    { logger },
  );
  onTestFinished(() => redis.close({ timeoutMs: 300 }));
  expect(redis.status).toBe('connecting');
  const client = redis.client as Cluster;
  // Issued before any slot map exists: ioredis alone would queue these forever.
  const results = await Promise.all([
    timed(client.get('a')),
    timed(client.set('b', '1')),
    timed(client.pipeline().get('a').exec()),
  ]);
  for (const r of results) {
    expect(r.error).toBeInstanceOf(Error);
    expect(r.ms).toBeLessThan(400 * 3);
  }
  await waitUntil(() => redis.status === 'down', { what: 'status down', timeoutMs: 10_000 });
  expect(redis.lastError?.message).toMatch(
    /refresh slots cache|ECONNREFUSED|None of startup nodes/,
  );
  expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  const close = await timed(redis.close({ timeoutMs: 300 }));
  expect(close.ms).toBeLessThan(1000);
});
