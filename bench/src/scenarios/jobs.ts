import { createQueues, createWorker } from '@redis-toolkit/jobs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type BenchContext, fmtRate, type Scenario, table, throughput } from '../context.js';

// The same job options on both sides, so the rows differ only by the package's own work.
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 1000 },
  removeOnComplete: { age: 86_400, count: 100_000 },
  removeOnFail: { age: 7 * 86_400, count: 10_000 },
};

interface Producer {
  /** Adds `count` jobs with `concurrency` in flight; returns adds per second. */
  run(count: number, concurrency: number): Promise<number>;
  close(): Promise<void>;
}

interface Contender {
  name: string;
  /** Producers are opened once and measured in short alternating blocks (warm connections). */
  producer(): Promise<Producer>;
  process(round: number, count: number, concurrency: number): Promise<Sample>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Fills a queue through bare BullMQ (addBulk), so both workers start from the same backlog. */
async function fill(url: string, prefix: string, count: number): Promise<void> {
  const client = new Redis(url);
  const queue = new Queue('bench', { connection: client, prefix });
  for (let i = 0; i < count; i += 1000) {
    const n = Math.min(1000, count - i);
    await queue.addBulk(
      Array.from({ length: n }, (_, j) => ({
        name: 'bench',
        data: { n: i + j },
        opts: JOB_OPTIONS,
      })),
    );
  }
  await queue.close();
  client.disconnect();
}

interface Sample {
  rate: number;
  /** CPU time of this (client) process per job, µs: far less sensitive to other processes' load than the rate. */
  cpuUs: number;
}

const cpuUsOf = (since: NodeJS.CpuUsage, count: number): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / count;
};

/** Resolves when `done()` reaches `count`; returns jobs per second since `started`. */
async function until(
  done: () => number,
  count: number,
  started: number,
  cpu: NodeJS.CpuUsage,
): Promise<Sample> {
  while (done() < count) await new Promise((resolve) => setTimeout(resolve, 2));
  return { rate: count / ((performance.now() - started) / 1000), cpuUs: cpuUsOf(cpu, count) };
}

function toolkit(url: string): Contender {
  return {
    name: '@redis-toolkit/jobs',
    async producer() {
      const client = new Redis(url);
      const queues = createQueues<{ bench: { n: number } }>({
        redis: client,
        // throughput, not deadlines: the loaded VM's event-loop lag passed the 500 ms default
        commandTimeout: '5s',
        prefix: 'tk-enq:',
        queues: { bench: { attempts: 3, backoff: { type: 'exponential', delay: '1s' } } },
      });
      await queues.counts();
      return {
        run: (count, concurrency) =>
          throughput(count, concurrency, (i) => queues.add('bench', { n: i })),
        async close() {
          await queues.close();
          client.disconnect();
        },
      };
    },
    async process(round, count, concurrency) {
      const prefix = `tk-proc-${round}-${concurrency}:`;
      // the package's BullMQ prefix is `<prefix>jobs`
      await fill(url, `${prefix}jobs`, count);
      const client = new Redis(url);
      const queues = createQueues<{ bench: { n: number } }>({
        redis: client,
        // throughput, not deadlines: the loaded VM's event-loop lag passed the 500 ms default
        commandTimeout: '5s',
        prefix,
        queues: { bench: {} },
      });
      let done = 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const worker = createWorker(queues, 'bench', () => void done++, { concurrency });
      const rate = await until(() => done, count, started, cpu);
      await worker.close();
      await queues.close();
      client.disconnect();
      return rate;
    },
  };
}

function bare(url: string): Contender {
  return {
    name: 'bare BullMQ',
    async producer() {
      const client = new Redis(url);
      const queue = new Queue('bench', { connection: client, prefix: 'bare-enq' });
      await queue.waitUntilReady();
      return {
        run: (count, concurrency) =>
          throughput(count, concurrency, (i) => queue.add('bench', { n: i }, JOB_OPTIONS)),
        async close() {
          await queue.close();
          client.disconnect();
        },
      };
    },
    async process(round, count, concurrency) {
      const prefix = `bare-proc-${round}-${concurrency}`;
      await fill(url, prefix, count);
      const client = new Redis(url, { maxRetriesPerRequest: null });
      let done = 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const worker = new Worker(
        'bench',
        async () => {
          done++;
        },
        { connection: client, prefix, concurrency },
      );
      const rate = await until(() => done, count, started, cpu);
      await worker.close();
      client.disconnect();
      return rate;
    },
  };
}

export const scenario: Scenario = {
  id: 'jobs',
  title: 'jobs: enqueue and process throughput, @redis-toolkit/jobs vs bare BullMQ',
  async run(ctx: BenchContext): Promise<string> {
    const url = ctx.redis.url;
    const rounds = ctx.quick ? 2 : 7;
    const enqueueBlocks = ctx.quick ? 4 : 20;
    const count = ctx.quick ? 500 : 5000;
    const contenders = [toolkit(url), bare(url)];
    const rates = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    const cpus = new Map<string, number[]>();
    const record = (cell: string, got: Map<string, Sample>) => {
      for (const [name, sample] of got) {
        rates.set(`${cell}|${name}`, [...(rates.get(`${cell}|${name}`) ?? []), sample.rate]);
        cpus.set(`${cell}|${name}`, [...(cpus.get(`${cell}|${name}`) ?? []), sample.cpuUs]);
      }
      const ours = got.get(contenders[0]!.name)?.rate ?? 0;
      const theirs = got.get(contenders[1]!.name)?.rate ?? 1;
      ratios.set(cell, [...(ratios.get(cell) ?? []), ours / theirs]);
    };
    // rotating order: load from other processes on the shared machine falls on both alike
    const orderOf = (r: number) => (r % 2 === 0 ? contenders : [...contenders].reverse());

    const producers = new Map<string, Producer>();
    for (const c of contenders) producers.set(c.name, await c.producer());
    for (let r = 0; r < enqueueBlocks; r++) {
      for (const concurrency of [1, 50]) {
        const got = new Map<string, Sample>();
        for (const c of orderOf(r)) {
          const n = concurrency === 1 ? Math.ceil(count / 10) : Math.ceil(count / 2);
          const cpu = process.cpuUsage();
          const rate = await (producers.get(c.name) as Producer).run(n, concurrency);
          got.set(c.name, { rate, cpuUs: cpuUsOf(cpu, n) });
        }
        record(`enqueue c=${concurrency}`, got);
      }
    }
    for (const p of producers.values()) await p.close();

    for (let r = 0; r < rounds; r++) {
      for (const concurrency of [1, 50]) {
        const got = new Map<string, Sample>();
        for (const c of orderOf(r)) {
          const n = concurrency === 1 ? Math.ceil(count / 5) : count;
          got.set(c.name, await c.process(r, n, concurrency));
        }
        record(`process c=${concurrency}`, got);
      }
    }
    const rows: (string | number)[][] = [
      [
        'operation',
        '@redis-toolkit/jobs',
        'bare BullMQ',
        'ratio (median, range)',
        'client CPU µs/job: ours / bare',
      ],
    ];
    for (const k of ['enqueue c=1', 'enqueue c=50', 'process c=1', 'process c=50']) {
      const rs = ratios.get(k) ?? [];
      rows.push([
        k,
        fmtRate(median(rates.get(`${k}|${contenders[0]!.name}`) ?? [])),
        fmtRate(median(rates.get(`${k}|${contenders[1]!.name}`) ?? [])),
        `${median(rs).toFixed(2)}× (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`,
        `${median(cpus.get(`${k}|${contenders[0]!.name}`) ?? []).toFixed(0)} / ${median(cpus.get(`${k}|${contenders[1]!.name}`) ?? []).toFixed(0)}`,
      ]);
    }
    return [
      `Enqueue: one warm producer per contender, ${enqueueBlocks} alternating blocks (${Math.ceil(count / 10).toLocaleString('en-US')} adds at c=1,`,
      `${Math.ceil(count / 2).toLocaleString('en-US')} at c=50). Process: ${rounds} rounds, each draining a fresh backlog of ${Math.ceil(count / 5).toLocaleString('en-US')} (c=1)`,
      `or ${count.toLocaleString('en-US')} (c=50) jobs; contenders in rotating order. Rates are medians over blocks/rounds,`,
      'ratios medians (and ranges) of the paired per-block/per-round ratios. Same job options on',
      'both sides (attempts 3, exponential backoff, removeOnComplete 24 h / 100k, removeOnFail 7 d / 10k).',
      '"enqueue": `add` calls with c in flight, no key and no outbox (so both sides use BullMQ\'s id',
      'counter); ours also checks the runtime health and races the call with the command timeout. "process": a worker',
      'with `concurrency: c` drains a backlog filled beforehand with bare `addBulk`; the handler does',
      'nothing, so the rows measure the queue machinery. Each contender has its own ioredis client.',
      'The last column is the CPU time of the benchmark process per job (median), which other',
      "processes' load on the shared machine disturbs far less than the rates.",
      '',
      table(rows),
    ].join('\n');
  },
};
