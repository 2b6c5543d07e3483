import { startRedis } from '@redis-toolkit/testing';
import { createLimiter, fixedWindowConsume } from '@redis-toolkit/rate-limit';
import type { Options } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { throughput } from './context.js';
const server = await startRedis();
const redis = new Redis({ host: server.host, port: server.port });
await redis.script('LOAD', fixedWindowConsume.source);
const fixed = createLimiter({ redis, name: 'p', window: 10000, limit: 1e6 });
await fixed.ready();
const rlr = new RedisStore({ sendCommand: (c: string, ...a: string[]) => redis.call(c, ...a) as Promise<number>, prefix: 'rlr:' });
await rlr.init({ windowMs: 10000 } as Options);
const N = 40000;
const best: Record<string, number> = {};
const ops: Record<string, (i: number) => Promise<unknown>> = {
  mineRaw: (i) => redis.call('EVALSHA', fixedWindowConsume.sha, 1, `a${i % 10000}`, '10000', 1, '1000000'),
  rlr: (i) => rlr.increment(`b${i % 10000}`),
  consume: (i) => fixed.consume(`c${i % 10000}`),
};
for (const n of Object.keys(ops)) await throughput(5000, 50, ops[n]!);
for (let r = 0; r < 8; r++) for (const n of r % 2 ? Object.keys(ops).reverse() : Object.keys(ops)) best[n] = Math.max(best[n] ?? 0, await throughput(N, 100, ops[n]!));
console.log(best);
redis.disconnect(); await server.stop();
