import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeEachTopology, type TopologyContext, waitUntil } from '@redis-toolkit/testing';
import { afterEach, expect, it, onTestFinished } from 'vitest';
import { createQueues } from '../src/index.js';
import { closer, uniquePrefix } from './helpers.js';

const workerFile = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

interface Message {
  type: 'ready' | 'start' | 'done';
  id?: string;
  attempt?: number;
  pid: number;
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
}

function connectionOf(ctx: TopologyContext): Record<string, unknown> {
  if (ctx.standalone) {
    return { standalone: { host: ctx.standalone.host, port: ctx.standalone.port } };
  }
  return { cluster: ctx.cluster?.startupNodes };
}

/** Starts one worker process; resolves once it is ready. Every message lands in `log`. */
function spawnWorker(
  ctx: TopologyContext,
  log: Message[],
  config: { prefix: string; jobMs: number; lockMs: number; shutdownMs: number },
): Promise<Spawned> {
  const child = fork(workerFile, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, JOBS_WORKER: JSON.stringify({ ...connectionOf(ctx), ...config }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  });
  child.on('message', (m) => log.push(m as Message));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.on('message', (m) => {
      if ((m as Message).type === 'ready') resolve({ child, exited });
    });
  });
}

describeEachTopology(
  'jobs across worker processes',
  (ctx) => {
    const c = closer();
    afterEach(() => c.closeAll());
    const producer = (prefix: string) =>
      c.track(
        createQueues<{ work: { n: number } }>({
          redis: ctx.client(),
          prefix,
          queues: { work: { attempts: 3, backoff: { type: 'fixed', delay: '50ms' } } },
        }),
      );

    it('a delayed job fires once across two worker processes', async () => {
      const prefix = uniquePrefix('delayed');
      const log: Message[] = [];
      const config = { prefix, jobMs: 10, lockMs: 5000, shutdownMs: 5000 };
      await Promise.all([spawnWorker(ctx, log, config), spawnWorker(ctx, log, config)]);
      const queues = producer(prefix);
      for (let i = 0; i < 20; i++) {
        await queues.schedule('work', { n: i }, { delay: '300ms', key: `d${i}` });
      }
      await waitUntil(() => log.filter((m) => m.type === 'done').length >= 20, {
        what: '20 delayed jobs done',
        timeoutMs: 20_000,
      });
      // let a duplicate, if there were one, show up
      await waitUntil(async () => (await queues.counts()).work.completed === 20);
      const starts = log.filter((m) => m.type === 'start');
      expect(starts).toHaveLength(20);
      expect(new Set(starts.map((m) => m.id)).size).toBe(20);
    });

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`a ${signal} in the middle of a job never loses it: another worker completes it`, async () => {
        const prefix = uniquePrefix(signal.toLowerCase());
        const log: Message[] = [];
        // the job outlasts the shutdown timeout, so SIGTERM has to leave it to stalled recovery
        const config = { prefix, jobMs: 1500, lockMs: 1000, shutdownMs: 200 };
        const first = await spawnWorker(ctx, log, config);
        const queues = producer(prefix);
        const { id } = await queues.add('work', { n: 1 }, { key: 'long' });
        await waitUntil(() => log.some((m) => m.type === 'start' && m.pid === first.child.pid), {
          what: 'the job started on the first worker',
        });
        first.child.kill(signal);
        await first.exited;
        const second = await spawnWorker(ctx, log, config);
        await waitUntil(() => log.some((m) => m.type === 'done' && m.pid === second.child.pid), {
          what: 'the job completed on the second worker',
          timeoutMs: 25_000,
        });
        expect(log.filter((m) => m.type === 'done').map((m) => m.id)).toEqual([id]);
        await waitUntil(async () => (await queues.counts()).work.completed === 1);
        expect((await queues.counts()).work.failed).toBe(0);
      });
    }

    it('SIGTERM with a short job drains it before exiting (no retry needed)', async () => {
      const prefix = uniquePrefix('drain');
      const log: Message[] = [];
      const first = await spawnWorker(ctx, log, {
        prefix,
        jobMs: 400,
        lockMs: 5000,
        shutdownMs: 10_000,
      });
      const queues = producer(prefix);
      await queues.add('work', { n: 1 });
      await waitUntil(() => log.some((m) => m.type === 'start'));
      first.child.kill('SIGTERM');
      await first.exited;
      expect(log.filter((m) => m.type === 'done' && m.pid === first.child.pid)).toHaveLength(1);
      expect((await queues.counts()).work).toMatchObject({ completed: 1, active: 0, waiting: 0 });
    });
  },
  ['standalone', 'cluster'],
);
