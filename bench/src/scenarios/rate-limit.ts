import { createLimiter, LimiterStore } from '@redis-toolkit/rate-limit';
import type { Options } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { type BenchContext, fmtRate, type Scenario, table, throughput } from '../context.js';
import { combinedOverHttp, middlewareCost } from '../rate-limit/http.js';

const KEYS = 10_000;
const WINDOW_MS = 10_000;
/** High enough that every decision admits: the admitting path is the costlier one for every library. */
const LIMIT = 1_000_000;

type Op = (i: number) => Promise<unknown>;

async function run(ctx: BenchContext): Promise<string> {
  const redis = new Redis({ host: ctx.redis.host, port: ctx.redis.port });
  await redis.ping();
  try {
    const fixed = createLimiter({
      redis,
      name: 'bench-fw',
      window: `${WINDOW_MS}ms` as const,
      limit: LIMIT,
    });
    const sliding = createLimiter({
      redis,
      name: 'bench-sw',
      window: `${WINDOW_MS}ms` as const,
      limit: LIMIT,
      algorithm: 'sliding-window',
    });
    const gcra = createLimiter({
      redis,
      name: 'bench-gcra',
      window: `${WINDOW_MS}ms` as const,
      limit: LIMIT,
      algorithm: 'gcra',
    });
    // T = 1 s per unit with a burst of 10,000: a key's state outlives the ~29 decisions it gets
    // here (never refused), as with real limits where an active client's TAT is still ahead of
    // now. Above, T is 10 µs: the key has expired before each decision and is written anew.
    const gcraLive = createLimiter({
      redis,
      name: 'bench-gcra-live',
      window: '10000s',
      limit: 10_000,
      algorithm: 'gcra',
    });
    await fixed.ready();
    const store = new LimiterStore(
      createLimiter({
        redis,
        name: 'bench-store',
        window: `${WINDOW_MS}ms` as const,
        limit: LIMIT,
      }),
    );
    const rlr = new RedisStore({
      sendCommand: (command: string, ...args: string[]) =>
        redis.call(command, ...args) as Promise<number>,
      prefix: 'bench:rlr:',
    });
    await rlr.init({ windowMs: WINDOW_MS } as Options);
    const rlf = new RateLimiterRedis({
      storeClient: redis,
      points: LIMIT,
      duration: WINDOW_MS / 1000,
      keyPrefix: 'bench:rlf',
    });

    const ops: Record<string, Op> = {
      '@redis-toolkit/rate-limit fixed-window `consume`': (i) => fixed.consume(`u${i % KEYS}`),
      '@redis-toolkit/rate-limit fixed-window store `increment` (HTTP path)': (i) =>
        store.increment(`u${i % KEYS}`),
      '@redis-toolkit/rate-limit GCRA `consume` (state expired before each decision)': (i) =>
        gcra.consume(`u${i % KEYS}`),
      '@redis-toolkit/rate-limit GCRA `consume` (state kept between decisions)': (i) =>
        gcraLive.consume(`u${i % KEYS}`),
      '@redis-toolkit/rate-limit sliding-window (exact log) `consume`': (i) =>
        sliding.consume(`u${i % KEYS}`),
      'rate-limit-redis 6 `RedisStore.increment`': (i) => rlr.increment(`u${i % KEYS}`),
      'rate-limiter-flexible 11 `RateLimiterRedis.consume`': (i) => rlf.consume(`u${i % KEYS}`),
    };
    // Sanity: every op admits (a limiter that rejects would be measuring a different path).
    for (const [name, op] of Object.entries(ops)) {
      const result = (await op(0)) as { allowed?: boolean; totalHits?: number };
      if (result.allowed === false) throw new Error(`${name} rejected during warm-up`);
    }

    // Every op runs in short blocks, rounds in alternating order. Each round's figure of an op
    // is divided by rate-limit-redis's in the same round (paired: a neighbour's burst hits both)
    // and the table shows the median of those ratios and their middle half (quartiles). Per
    // block we also read this process's CPU and the server's EVALSHA time per decision (INFO
    // commandstats after CONFIG RESETSTAT on this scenario's own server): on a contended machine
    // throughput follows the total CPU a decision costs, which varies far less than the rate.
    let n = 0;
    const names = Object.keys(ops);
    const rlrName = 'rate-limit-redis 6 `RedisStore.increment`';
    interface Block {
      rate: number;
      clientUs: number;
      serverUs: number;
    }
    const serverUs = async (): Promise<number> => {
      const stats = await redis.info('commandstats');
      const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats);
      return m ? Number(m[2]) / Number(m[1]) : Number.NaN;
    };
    const rounds = async (concurrency: number, count: number, times: number) => {
      const blocks = new Map<string, Block[]>();
      for (let r = 0; r < times; r++) {
        for (const name of r % 2 ? [...names].reverse() : names) {
          const op = ops[name]!;
          const base = n;
          n += count;
          await redis.config('RESETSTAT');
          const cpu = process.cpuUsage();
          const rate = await throughput(count, concurrency, (i) => op(base + i));
          const used = process.cpuUsage(cpu);
          const block = {
            rate,
            clientUs: (used.user + used.system) / count,
            serverUs: await serverUs(),
          };
          blocks.set(name, [...(blocks.get(name) ?? []), block]);
        }
      }
      return blocks;
    };
    // Warm-up: JIT, script caches and connection buffers, for every op before anything is timed.
    for (const name of names) await throughput(ctx.quick ? 500 : 3_000, 50, (i) => ops[name]!(i));
    const c1 = await rounds(1, ctx.quick ? 500 : 4_000, ctx.quick ? 2 : 9);
    const c100 = await rounds(100, ctx.quick ? 5_000 : 12_000, ctx.quick ? 2 : 15);
    const quantile = (sorted: number[], q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : 0;
    const median = (xs: number[]) =>
      quantile(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    const paired = (blocks: Map<string, Block[]>, name: string, base: string) => {
      const mine = blocks.get(name) ?? [];
      const theirs = blocks.get(base) ?? [];
      const ratios = mine
        .map((b, i) => b.rate / (theirs[i]?.rate ?? Number.NaN))
        .sort((a, b) => a - b);
      if (ratios.length === 0) return 'n/a';
      const f = (x: number) => x.toFixed(2);
      return `${f(quantile(ratios, 0.5))}× (${f(quantile(ratios, 0.25))}–${f(quantile(ratios, 0.75))})`;
    };
    const costOf = (blocks: Map<string, Block[]>, name: string) => {
      const bs = blocks.get(name) ?? [];
      return {
        client: median(bs.map((b) => b.clientUs)),
        server: median(bs.map((b) => b.serverUs)),
      };
    };
    const rlfName = 'rate-limiter-flexible 11 `RateLimiterRedis.consume`';
    const rlrCost = costOf(c100, rlrName);
    const rows: (string | number)[][] = [
      [
        'decision',
        'c=1',
        'c=100',
        'vs rate-limit-redis, c=1: median (quartiles)',
        'vs rate-limit-redis, c=100: median (quartiles)',
        'CPU µs / decision at c=100: client + server',
        'vs rate-limit-redis by CPU cost',
        'vs rate-limiter-flexible (c=1 / c=100)',
      ],
      ...names.map((name) => {
        const cost = costOf(c100, name);
        return [
          name,
          fmtRate(median((c1.get(name) ?? []).map((b) => b.rate))),
          fmtRate(median((c100.get(name) ?? []).map((b) => b.rate))),
          paired(c1, name, rlrName),
          paired(c100, name, rlrName),
          `${cost.client.toFixed(1)} + ${cost.server.toFixed(1)}`,
          `${((rlrCost.client + rlrCost.server) / (cost.client + cost.server)).toFixed(2)}×`,
          `${paired(c1, name, rlfName).split(' ')[0]} / ${paired(c100, name, rlfName).split(' ')[0]}`,
        ];
      }),
    ];
    return [
      `Decisions per second on one ioredis connection, ${KEYS.toLocaleString('en')} keys in rotation,`,
      `window ${WINDOW_MS / 1000} s, limit ${LIMIT.toLocaleString('en')} (every decision admits, the`,
      'costlier path). c=1: one decision at a time; c=100: 100 in flight. Each op runs in blocks',
      `(${ctx.quick ? 'quick run' : '4,000 decisions at c=1 in 9 rounds, 12,000 at c=100 in 15 rounds'}), rounds in alternating order; rates are`,
      'medians of the rounds, ratios the median (and quartiles) of the per-round ratios against',
      'rate-limit-redis measured in the same round. "CPU µs / decision" is the median per block of',
      'this process\'s CPU (user + system) and of the server\'s EVALSHA time; "by CPU cost" is',
      "rate-limit-redis's total divided by the row's (what the throughput ratio tends to on a",
      'CPU-bound machine). Every row goes through a Lua script',
      "(EVALSHA) and one round trip; ours also puts each call under the runtime's deadline. The",
      'sliding window is an exact log (ZREMRANGEBYSCORE + ZCARD + ZADD + PEXPIRE + ZRANGE per',
      'decision) and keeps one sorted-set member per admitted request. GCRA is TIME + GET + SET PX',
      'on one string per key; "state expired" is T = 10 µs (limit 1,000,000 per 10 s: the key',
      'expired 1 ms after its last write, so each decision writes a new key with a new expiry),',
      '"state kept" T = 1 s (limit 10,000 per 10,000 s, burst 10,000: the key is still there).',
      '',
      table(rows),
      '',
      '### What the middleware costs per request',
      '',
      await middlewareCost(ctx, redis),
      '',
      '### Two limits on one route: combined vs separate, over HTTP',
      '',
      await combinedOverHttp(ctx, redis),
    ].join('\n');
  } finally {
    redis.disconnect();
  }
}

export const scenario: Scenario = {
  id: 'rate-limit',
  title: 'Rate limiting: decisions per second vs rate-limit-redis and rate-limiter-flexible',
  run,
};
