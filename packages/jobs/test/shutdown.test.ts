import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { afterEach, expect, it, onTestFinished } from 'vitest';
import { createQueues, createWorker, type QueueConfig } from '../src/index.js';
import { closer, pauseAll, serversOf, uniquePrefix } from './helpers.js';

const QUEUES = {
  work: { attempts: 3, backoff: { type: 'fixed', delay: '50ms' } },
  other: { attempts: 1 },
} satisfies Record<string, QueueConfig>;
type Jobs = { work: { n: number }; other: { n: number } };

let aborted = 0;
/** A handler that ends only when close() gives up on it, and then a little later (still writing). */
async function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => {
    signal?.addEventListener(
      'abort',
      () => {
        aborted++;
        setTimeout(resolve, 200);
      },
      { once: true },
    );
  });
}

/** close() may take the timeout plus this (the QUIT grace and a loaded 2-core machine). */
const MARGIN_MS = 2500;
const TIMEOUT_MS = 300;

async function timed(work: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work;
  return performance.now() - started;
}

describeEachTopology('worker close when redis is unreachable', (ctx) => {
  const c = closer();
  afterEach(() => c.closeAll());

  it('hung server (SIGSTOP): close({ timeout }) resolves in time; the running job is retried once redis is back', async () => {
    const prefix = uniquePrefix('close-hung');
    const queues = c.track(createQueues<Jobs>({ redis: ctx.client(), prefix, queues: QUEUES }));
    const runs: { worker: string; attempt: number }[] = [];
    const lock = { lockDuration: '1s', stalledInterval: '1s' } as const;
    // an idle worker (of another queue) whose connections are up: nothing to wait for, yet BullMQ's
    // graceful close (QUIT) gets no answer from a hung server
    const idleDone: number[] = [];
    const idle = createWorker(queues, 'other', (job) => void idleDone.push(job.data.n), lock);
    onTestFinished(() => idle.close({ timeout: 0 }));
    await queues.add('other', { n: 1 });
    await waitUntil(() => idleDone.length === 1, { what: 'the idle worker is connected' });
    // the busy worker's job ends only when the shutdown deadline aborts it
    const busy = createWorker(
      queues,
      'work',
      async (job) => {
        runs.push({ worker: 'busy', attempt: job.attempt });
        await untilAborted(job.signal);
      },
      lock,
    );
    onTestFinished(() => busy.close({ timeout: 0 }));
    const { id } = await queues.add('work', { n: 1 }, { key: 'long' });
    await waitUntil(() => runs.length === 1, { what: 'the job started' });
    const abortedBefore = aborted;
    const resume = pauseAll(ctx);
    const [busyMs, idleMs] = await Promise.all([
      timed(busy.close({ timeout: `${TIMEOUT_MS}ms` })),
      timed(idle.close({ timeout: `${TIMEOUT_MS}ms` })),
    ]);
    expect(busyMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(idleMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    // the job was still running at the deadline (its handler ends 200 ms after the abort)
    expect(aborted).toBe(abortedBefore + 1);
    resume();
    // the job stayed active with a lock that expires: the stalled-job check of a new worker retries it
    const done: string[] = [];
    c.track(
      createWorker(
        queues,
        'work',
        (job) => {
          runs.push({ worker: 'rescuer', attempt: job.attempt });
          done.push(job.id);
        },
        lock,
      ),
    );
    await waitUntil(() => done.length === 1, {
      what: 'the job completed by another worker',
      timeoutMs: 25_000,
    });
    expect(done).toEqual([id]);
    await waitUntil(async () => (await queues.counts()).work.completed === 1, {
      what: 'completed count',
      timeoutMs: 10_000,
    });
    expect((await queues.counts()).work).toMatchObject({ failed: 0, active: 0, waiting: 0 });
  });

  it('killed server: close({ timeout }) resolves in time with a job running and with none', async () => {
    const prefix = uniquePrefix('close-killed');
    const queues = c.track(createQueues<Jobs>({ redis: ctx.client(), prefix, queues: QUEUES }));
    let started = 0;
    const busy = createWorker(queues, 'work', async (job) => {
      started++;
      await untilAborted(job.signal);
    });
    onTestFinished(() => busy.close({ timeout: 0 }));
    const idleDone: number[] = [];
    const idle = createWorker(queues, 'other', (job) => void idleDone.push(job.data.n));
    onTestFinished(() => idle.close({ timeout: 0 }));
    await queues.add('other', { n: 1 });
    await queues.add('work', { n: 1 });
    await waitUntil(() => started === 1 && idleDone.length === 1, {
      what: 'the job started and the idle worker connected',
    });
    // the last test of the block: the servers are not restarted (afterAll stops them)
    await Promise.all(serversOf(ctx).map((s) => s.kill()));
    const [busyMs, idleMs] = await Promise.all([
      timed(busy.close({ timeout: `${TIMEOUT_MS}ms` })),
      timed(idle.close({ timeout: `${TIMEOUT_MS}ms` })),
    ]);
    expect(busyMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(idleMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });
});
