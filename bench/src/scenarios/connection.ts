import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { createRedis, loadRedisConfig, RedisRuntime } from '@redis-toolkit/connection';
import { Redis } from 'ioredis';
import { type BenchContext, fmtRate, ratio, type Scenario, table, throughput } from '../context.js';

const run = promisify(execFile);

/** The key redis-benchmark's GET test reads when no -r is given; every row reads the same 100 B value. */
const KEY = 'key:__rand_int__';

async function redisBenchmark(
  port: number,
  clients: number,
  pipeline: number,
  requests: number,
): Promise<number> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    'get',
    '-n',
    String(requests),
    '-c',
    String(clients),
    '-P',
    String(pipeline),
    '-q',
  ];
  const { stdout } = await run('redis-benchmark', args, { timeout: 60_000 });
  const match = /GET: ([\d.]+) requests per second/.exec(stdout);
  if (!match) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  return Number(match[1]);
}

export const scenario: Scenario = {
  id: 'connection',
  title: '@redis-toolkit/connection: client overhead vs bare ioredis and the server ceiling',
  async run(ctx: BenchContext) {
    const { redis } = ctx;
    const bare = new Redis({ host: redis.host, port: redis.port });
    const bareAuto = new Redis({ host: redis.host, port: redis.port, enableAutoPipelining: true });
    // ioredis's own commandTimeout: a timer per command (createRedis sweeps it instead).
    const bareTimeout = new Redis({ host: redis.host, port: redis.port, commandTimeout: 2000 });
    const toolkit = createRedis(loadRedisConfig({ REDIS_URL: redis.url }), { name: 'bench' });
    const toolkitAuto = createRedis(
      loadRedisConfig({ REDIS_URL: redis.url, REDIS_AUTO_PIPELINING: 'true' }),
      {
        name: 'bench-auto',
      },
    );
    try {
      await Promise.all([toolkit.waitUntilReady(), toolkitAuto.waitUntilReady()]);
      const client = toolkit.client;
      const clientAuto = toolkitAuto.client;
      if (!client || !clientAuto) throw new Error('connection disabled');
      await bare.set(KEY, 'x'.repeat(100));

      // (a) + (b): every variant at c=1 and c=100, in interleaved rounds (rotating order), ratios
      // paired within a round. The runtime rows are what every package's call costs.
      const guardedBare = new Redis({ host: redis.host, port: redis.port });
      const bareRuntime = RedisRuntime.for(guardedBare, { commandTimeoutMs: 500 });
      const toolkitRuntime = toolkit.runtime;
      if (!toolkitRuntime) throw new Error('connection disabled');
      const variants = {
        bare: () => bare.get(KEY),
        bareTimeout: () => bareTimeout.get(KEY),
        guarded: () => bareRuntime.run('get', () => guardedBare.get(KEY)),
        toolkit: () => client.get(KEY),
        toolkitGuarded: () => toolkitRuntime.run('get', () => client.get(KEY)),
        bareAuto: () => bareAuto.get(KEY),
        toolkitAuto: () => clientAuto.get(KEY),
      };
      const labels: Record<keyof typeof variants, string> = {
        bare: 'bare ioredis `get`',
        bareTimeout: 'bare ioredis, `commandTimeout: 2000` (a timer per command)',
        guarded: 'runtime.run(get) on a bare client (shared sweeper, no ioredis timer)',
        toolkit: 'createRedis().client `get` (`commandTimeout` as one sweep, no timer)',
        toolkitGuarded: 'runtime.run(get) on createRedis().client (two sweeps, no timer)',
        bareAuto: 'bare ioredis, enableAutoPipelining',
        toolkitAuto: 'createRedis(REDIS_AUTO_PIPELINING=true).client',
      };
      const names = Object.keys(variants) as (keyof typeof variants)[];
      const rounds = ctx.quick ? 2 : 7;
      const counts = { 1: ctx.quick ? 2_000 : 10_000, 100: ctx.quick ? 10_000 : 50_000 };
      const cells: Record<string, { rate: number[]; cpu: number[] }> = {};
      for (const c of [1, 100] as const) {
        for (const name of names) await throughput(counts[c] / 5, c, variants[name]); // JIT warm-up
        for (let r = 0; r < rounds; r++) {
          const order = names.map((_, k) => names[(k + r) % names.length] as keyof typeof variants);
          for (const name of order) {
            const cpu = process.cpuUsage();
            const rate = await throughput(counts[c], c, variants[name]);
            const used = process.cpuUsage(cpu);
            const key = `${c}|${name}`;
            cells[key] ??= { rate: [], cpu: [] };
            const cell = cells[key];
            cell.rate.push(rate);
            cell.cpu.push((used.user + used.system) / counts[c]);
          }
        }
      }
      const median = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        const m = Math.floor(s.length / 2);
        return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
      };
      const cellOf = (c: number, name: string) =>
        cells[`${c}|${name}`] as { rate: number[]; cpu: number[] };

      // (c) the server's ceiling on this machine
      const ceiling = await redisBenchmark(redis.port, 100, 100, ctx.quick ? 50_000 : 200_000);
      const sequentialCeiling = await redisBenchmark(redis.port, 1, 1, ctx.quick ? 5_000 : 50_000);
      const c100NoPipeline = await redisBenchmark(redis.port, 100, 1, ctx.quick ? 20_000 : 200_000);

      const rows: (string | number)[][] = [
        [
          `GET, one connection (${rounds} interleaved rounds)`,
          'c',
          'ops/s (median)',
          'vs bare ioredis, median (range)',
          'client CPU µs/op',
        ],
      ];
      for (const c of [1, 100] as const) {
        const base = cellOf(c, 'bare');
        for (const name of names) {
          const cell = cellOf(c, name);
          const ratios = cell.rate.map((v, k) => v / (base.rate[k] as number));
          rows.push([
            labels[name],
            c,
            fmtRate(median(cell.rate)),
            name === 'bare'
              ? '1.00×'
              : `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
            median(cell.cpu).toFixed(1),
          ]);
        }
      }
      const ceilings = table([
        ['redis-benchmark (same server)', 'ops/s', 'vs bare ioredis at the same c'],
        [
          'redis-benchmark -t get -c 1 -P 1',
          fmtRate(sequentialCeiling),
          ratio(sequentialCeiling, median(cellOf(1, 'bare').rate)),
        ],
        [
          'redis-benchmark -t get -c 100 -P 1 (100 connections)',
          fmtRate(c100NoPipeline),
          ratio(c100NoPipeline, median(cellOf(100, 'bare').rate)),
        ],
        [
          'redis-benchmark -t get -c 100 -P 100 (ceiling)',
          fmtRate(ceiling),
          ratio(ceiling, median(cellOf(100, 'bare').rate)),
        ],
      ]);
      guardedBare.disconnect();
      const cpus = availableParallelism();
      const load = loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ');
      return [
        `Load average when the scenario ended (1/5/15 min): ${load} on ${cpus} cores; other work was running, so ratios between rows matter more than absolute rates.`,
        '',
        'Same redis-server, same key (`key:__rand_int__`, 100 B value) for every row; each row has its own connection. Rates are medians over rounds, ratios medians (and ranges) of the per-round paired ratios; the last column is the CPU time of the benchmark process per GET (median), which the load of other processes disturbs less than the rates.',
        '',
        table(rows),
        '',
        ceilings,
        '',
        'Deadlines: ioredis `commandTimeout` arms a `setTimeout` per command (and clears it on reply);',
        'the runtime bounds every guarded call with one shared sweeper instead (an array push per call,',
        'one 25 ms interval per connection while calls are pending). A `createRedis` client enforces its',
        '`commandTimeout` the same way (command-deadlines.ts: every command sent on the client, the',
        "app's own included), so a guarded call on it pays two pushes and no timer.",
      ].join('\n');
    } finally {
      bare.disconnect();
      bareAuto.disconnect();
      bareTimeout.disconnect();
      await Promise.all([toolkit.close(), toolkitAuto.close()]);
    }
  },
};
