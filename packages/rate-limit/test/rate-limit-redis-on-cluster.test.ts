// Why this package runs its own scripts instead of rate-limit-redis's RedisStore (README, "Algorithms").
import { describeEachTopology } from '@redis-toolkit/testing';
import type { Options } from 'express-rate-limit';
import type { Cluster } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { expect, it } from 'vitest';
import { createLimiter } from '../src/index.js';
import { uniqueName } from './helpers.js';

describeEachTopology(
  'rate-limit-redis on a Cluster (the problem this package avoids)',
  (ctx) => {
    it('RedisStore with sendCommand reloads its script on a random node: keys on other masters fail with NOSCRIPT', async () => {
      const redis = ctx.client() as Cluster;
      await redis.ping();
      const store = new RedisStore({
        sendCommand: (command: string, ...args: string[]) =>
          redis.call(command, ...args) as Promise<number>,
        prefix: `${uniqueName('rlr')}:`,
      });
      await store.init({ windowMs: 60_000 } as Options);
      const outcomes: string[] = [];
      // Each round: the masters forget their scripts (as after a restart or failover), then keys
      // spread over all masters are counted one by one. The store's NOSCRIPT retry sends SCRIPT LOAD
      // to a random node, so it misses the key's master about 2 times in 3.
      for (let round = 0; round < 10; round++) {
        for (const node of redis.nodes('master')) await node.script('FLUSH');
        for (let i = 0; i < 6; i++) {
          outcomes.push(
            await store.increment(`r${round}-client-${i}`).then(
              () => 'ok',
              (error: Error) => error.message.split(' ')[0] ?? '',
            ),
          );
        }
      }
      expect(outcomes).toContain('NOSCRIPT');

      // The same keys through this package: every one counted.
      const limiter = createLimiter({ redis, name: uniqueName('ours'), window: '1m', limit: 5 });
      for (const node of redis.nodes('master')) await node.script('FLUSH');
      const ours = await Promise.all(
        Array.from({ length: 60 }, (_, i) => limiter.consume(`client-${i}`)),
      );
      expect(ours.every((d) => d.allowed && d.source === 'redis')).toBe(true);
    });
  },
  ['cluster'],
);
