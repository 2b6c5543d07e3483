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

interface Contender {
  name: string;
  enqueue(round: number, count: number, concurrency: number): Promise<number>;
  process(round: number, count: number, concurrency: number): Promise<number>;
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

/** Resolves when `done()` reaches `count`; returns jobs per second since `started`. */
async function until(done: () => number, count: number, started: number): Promise<number> {
  while (done() < count) await new Promise((resolve) => setTimeout(resolve, 2));
  return count / ((performance.now() - started) / 1000);
}

function toolkit(url: string): Contender {
  return {
    name: '@redis-toolkit/jobs',
    async enqueue(round, count, concurrency) {
      const client = new Redis(url);
      const queues = createQueues<{ bench: { n: number } }>({
        redis: client,
        prefix: `tk-enq-${round}-${concurrency}:`,
        queues: { bench: { attempts: 3, backoff: { type: 'exponential', delay: '1s' } } },
      });
      await queues.counts();
      const rate = await throughput(count, concurrency, (i) => queues.add('bench', { n: i }));
      await queues.close();
      client.disconnect();
      return rate;
    },
    async process(round, count, concurrency) {
      const prefix = `tk-proc-${round}-${concurrency}:`;
      // the package's BullMQ prefix is `<prefix>jobs`
      await fill(url, `${prefix}jobs`, count);
      const client = new Redis(url);
      const queues = createQueues<{ bench: { n: number } }>({
        redis: client,
        prefix,
        queues: { bench: {} },
      });
      let done = 0;
      const started = performance.now();
      const worker = createWorker(queues, 'bench', () => void done++, { concurrency });
      const rate = await until(() => done, count, started);
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
    async enqueue(round, count, concurrency) {
      const client = new Redis(url);
      const queue = new Queue('bench', {
        connection: client,
        prefix: `bare-enq-${round}-${concurrency}`,
      });
      await queue.waitUntilReady();
      const rate = await throughput(count, concurrency, (i) =>
        queue.add('bench', { n: i }, JOB_OPTIONS),
      );
      await queue.close();
      client.disconnect();
      return rate;
    },
    async process(round, count, concurrency) {
      const prefix = `bare-proc-${round}-${concurrency}`;
      await fill(url, prefix, count);
      const client = new Redis(url, { maxRetriesPerRequest: null });
      let done = 0;
      const started = performance.now();
      const worker = new Worker(
        'bench',
        async () => {
          done++;
        },
        { connection: client, prefix, concurrency },
      );
      const rate = await until(() => done, count, started);
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
    const count = ctx.quick ? 500 : 5000;
    const contenders = [toolkit(url), bare(url)];
    const cells = [
      { op: 'enqueue', concurrency: 1 },
      { op: 'enqueue', concurrency: 50 },
      { op: 'process', concurrency: 1 },
      { op: 'process', concurrency: 50 },
    ] as const;
    const rates = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const cell of cells) {
        // rotating order within the round: load from other processes falls on both alike
        const order = r % 2 === 0 ? contenders : [...contenders].reverse();
        const got = new Map<string, number>();
        for (const c of order) {
          const n = cell.concurrency === 1 ? Math.ceil(count / 5) : count;
          const rate =
            cell.op === 'enqueue'
              ? await c.enqueue(r, n, cell.concurrency)
              : await c.process(r, n, cell.concurrency);
          got.set(c.name, rate);
          const key = `${cell.op} c=${cell.concurrency}|${c.name}`;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
        }
        const ratioKey = `${cell.op} c=${cell.concurrency}`;
        const ours = got.get(contenders[0]!.name) ?? 0;
        const theirs = got.get(contenders[1]!.name) ?? 1;
        ratios.set(ratioKey, [...(ratios.get(ratioKey) ?? []), ours / theirs]);
      }
    }
    const rows: (string | number)[][] = [
      ['operation', '@redis-toolkit/jobs', 'bare BullMQ', 'ratio (median, range)'],
    ];
    for (const cell of cells) {
      const k = `${cell.op} c=${cell.concurrency}`;
      const rs = ratios.get(k) ?? [];
      rows.push([
        k,
        fmtRate(median(rates.get(`${k}|${contenders[0]!.name}`) ?? [])),
        fmtRate(median(rates.get(`${k}|${contenders[1]!.name}`) ?? [])),
        `${median(rs).toFixed(2)}× (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`,
      ]);
    }
    return [
      `${rounds} rounds, contenders interleaved in rotating order within each round; each cell runs`,
      `${count.toLocaleString('en-US')} jobs at c=50 and ${Math.ceil(count / 5).toLocaleString('en-US')} at c=1 on a fresh queue. Rates are medians`,
      'over rounds, ratios medians (and ranges) of the per-round paired ratios. Same job options on',
      'both sides (attempts 3, exponential backoff, removeOnComplete 24 h / 100k, removeOnFail 7 d / 10k).',
      '"enqueue": `add` calls with c in flight, no key and no outbox (so both sides use BullMQ\'s id',
      'counter); ours also checks the runtime health and races the call with the command timeout. "process": a worker',
      'with `concurrency: c` drains a backlog filled beforehand with bare `addBulk`; the handler does',
      'nothing, so the rows measure the queue machinery. Each contender has its own ioredis client.',
      '',
      table(rows),
    ].join('\n');
  },
};
