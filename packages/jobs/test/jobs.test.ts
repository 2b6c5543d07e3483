import type { ToolkitEvent } from '@redis-toolkit/connection';
import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { afterEach, expect, it } from 'vitest';
import { createQueues, createWorker } from '../src/index.js';
import { closer, uniquePrefix } from './helpers.js';

interface Jobs {
  email: { to: string };
  reminder: { appointment: string };
}

describeEachTopology(
  'jobs on BullMQ',
  (ctx) => {
    const c = closer();
    afterEach(() => c.closeAll());

    const make = (prefix: string, extra: Partial<Parameters<typeof createQueues<Jobs>>[0]> = {}) =>
      c.track(
        createQueues<Jobs>({
          redis: ctx.client(),
          prefix,
          // Behaviour tests, not deadline tests (outage.test.ts has those): on the shared 2-core
          // machine at load ~25 a Cluster's first add (BullMQ loading its scripts) took > 500 ms.
          commandTimeout: '2s',
          queues: {
            email: { attempts: 3, backoff: { type: 'exponential', delay: '50ms' } },
            reminder: {},
          },
          ...extra,
        }),
      );

    it('processes a job and emits a completed event with its duration', async () => {
      const queues = make(uniquePrefix('basic'));
      const seen: string[] = [];
      const events: ToolkitEvent[] = [];
      queues.events.on((e) => events.push(e));
      c.track(createWorker(queues, 'email', (job) => void seen.push(job.data.to)));
      const result = await queues.add('email', { to: 'a@example.test' });
      expect(result.state).toBe('queued');
      await waitUntil(() => seen.length === 1, { what: 'job processed' });
      await waitUntil(() => events.some((e) => e.operation === 'completed'));
      const done = events.find((e) => e.operation === 'completed');
      expect(done).toMatchObject({ package: 'jobs', type: 'job', name: 'email' });
      expect(typeof done?.durationMs).toBe('number');
    });

    it('retries with exponential backoff: fails twice, then succeeds on attempt 3', async () => {
      const queues = make(uniquePrefix('retry'));
      const attempts: { attempt: number; at: number }[] = [];
      const events: ToolkitEvent[] = [];
      queues.events.on((e) => events.push(e));
      c.track(
        createWorker(queues, 'email', (job) => {
          attempts.push({ attempt: job.attempt, at: performance.now() });
          if (job.attempt < 3) throw new Error(`boom ${job.attempt}`);
        }),
      );
      await queues.add('email', { to: 'b@example.test' });
      await waitUntil(() => events.some((e) => e.operation === 'completed'), {
        what: 'job completed after retries',
        timeoutMs: 20_000,
      });
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(events.filter((e) => e.operation === 'retried')).toHaveLength(2);
      expect(events.filter((e) => e.operation === 'failed')).toHaveLength(0);
      // exponential: ~50 ms then ~100 ms; only lower bounds (a loaded machine is only slower)
      const gap1 = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
      const gap2 = (attempts[2]?.at ?? 0) - (attempts[1]?.at ?? 0);
      expect(gap1).toBeGreaterThanOrEqual(40);
      expect(gap2).toBeGreaterThanOrEqual(90);
    });

    it('keeps a job that failed every attempt for inspection', async () => {
      const queues = make(uniquePrefix('fail'));
      c.track(
        createWorker(queues, 'email', () => {
          throw new Error('always');
        }),
      );
      await queues.add('email', { to: 'c@example.test' });
      await waitUntil(async () => (await queues.counts()).email.failed === 1, {
        what: 'failed count 1',
        timeoutMs: 20_000,
      });
      expect(queues.stats().job).toBeGreaterThanOrEqual(3);
    });

    it("a running job's signal is aborted when close() runs out of time", async () => {
      const queues = make(uniquePrefix('abort'));
      let started = false;
      let aborted = false;
      const worker = createWorker(
        queues,
        'email',
        (job) =>
          new Promise<void>((resolve) => {
            started = true;
            job.signal?.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          }),
      );
      await queues.add('email', { to: 'slow@example.test' });
      await waitUntil(() => started, { what: 'job started' });
      await worker.close({ timeout: '100ms' });
      expect(aborted).toBe(true);
    });

    it('enqueues once per key (a retried HTTP request), keys with ":" included', async () => {
      const queues = make(uniquePrefix('idem'));
      const key = 'order:42/confirm {x}';
      const [a, b, d] = await Promise.all([
        queues.add('email', { to: 'x' }, { key }),
        queues.add('email', { to: 'x' }, { key }),
        queues.add('email', { to: 'x' }, { key }),
      ]);
      expect(a.id).toBe(b.id);
      expect(a.id).toBe(d.id);
      expect(a.id).not.toContain(':');
      expect((await queues.counts()).email.waiting).toBe(1);
      await queues.add('email', { to: 'x' }, { key: 'other' });
      expect((await queues.counts()).email.waiting).toBe(2);
    });

    it('schedules, reschedules and cancels a reminder', async () => {
      const queues = make(uniquePrefix('sched'));
      const fired: string[] = [];
      c.track(createWorker(queues, 'reminder', (job) => void fired.push(job.data.appointment)));
      const at = Date.now() + 60_000;
      await queues.schedule('reminder', { appointment: 'a1' }, { at, key: 'appt:a1' });
      await queues.schedule('reminder', { appointment: 'a2' }, { at, key: 'appt:a2' });
      expect((await queues.counts()).reminder.delayed).toBe(2);
      expect(await queues.cancel('reminder', 'appt:a1')).toBe(true);
      expect(await queues.cancel('reminder', 'appt:a1')).toBe(false);
      expect(await queues.reschedule('reminder', 'appt:a2', { delay: '200ms' })).toBe(true);
      await waitUntil(() => fired.length === 1, { what: 'rescheduled reminder fired' });
      expect(fired).toEqual(['a2']);
      expect(await queues.reschedule('reminder', 'appt:a2', { delay: '1s' })).toBe(false);
      expect(await queues.reschedule('reminder', 'unknown', { delay: '1s' })).toBe(false);
      expect((await queues.counts()).reminder).toMatchObject({ delayed: 0, waiting: 0 });
    });

    it('a delayed job fires on a client with an ioredis commandTimeout (createRedis sets one)', async () => {
      const queues = c.track(
        createQueues<Jobs>({
          redis: ctx.client({ commandTimeout: 300 }),
          prefix: uniquePrefix('timeout'),
          queues: { email: {}, reminder: {} },
        }),
      );
      const fired: string[] = [];
      c.track(createWorker(queues, 'reminder', (job) => void fired.push(job.data.appointment)));
      // longer than the commandTimeout: the worker's blocking wait must outlive it
      await queues.schedule('reminder', { appointment: 'a3' }, { delay: '1500ms', key: 'appt:a3' });
      await waitUntil(() => fired.length === 1, { what: 'delayed job fired', timeoutMs: 15_000 });
      expect(fired).toEqual(['a3']);
    });

    it('a repeatable job exists once with three queue instances started', async () => {
      const prefix = uniquePrefix('repeat');
      const instances = [make(prefix), make(prefix), make(prefix)];
      await Promise.all(instances.map((q) => q.repeat('email', { every: '1h' }, { to: 'digest' })));
      await Promise.all(
        instances.map((q) =>
          q.repeat('reminder', { pattern: '0 9 * * *' }, { appointment: 'daily' }),
        ),
      );
      const counts = await instances[0]!.counts();
      // an `every` scheduler's first job is due at once, a cron one at its next time
      expect(counts.email.waiting + counts.email.delayed).toBe(1);
      expect(counts.reminder.waiting + counts.reminder.delayed).toBe(1);
      expect(await instances[1]!.unrepeat('reminder')).toBe(true);
      expect(await instances[2]!.unrepeat('reminder')).toBe(false);
      // removing a scheduler removes its next (delayed) job
      expect((await instances[2]!.counts()).reminder.delayed).toBe(0);
    });

    it('counts() reports every state per queue', async () => {
      const queues = make(uniquePrefix('counts'));
      await queues.add('email', { to: 'x' });
      await queues.schedule('reminder', { appointment: 'z' }, { delay: '1h', key: 'z' });
      expect(await queues.counts()).toEqual({
        email: { waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 },
        reminder: { waiting: 0, active: 0, delayed: 1, failed: 0, completed: 0 },
      });
    });

    it(`writes BullMQ keys under the prefix${ctx.name === 'cluster' ? ' in one hash tag' : ''}`, async () => {
      const prefix = uniquePrefix('keys');
      const queues = make(prefix);
      await queues.add('email', { to: 'x' }, { key: 'k1' });
      const probe = ctx.client();
      const expected = ctx.name === 'cluster' ? `{${prefix}jobs}:email:` : `${prefix}jobs:email:`;
      expect(await probe.exists(`${expected}k-k1`)).toBe(1);
      expect(await probe.exists(`${expected}wait`)).toBe(1);
    });
  },
  ['standalone', 'cluster'],
);
