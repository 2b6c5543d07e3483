import { createRedis, loadRedisConfig } from '@redis-toolkit/connection';
import { captureLogger, describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createQueues,
  createWorker,
  type EnqueueResult,
  type JobCounts,
  type JobQueues,
  JobsConfigError,
  JobsInputError,
  JobsUnavailableError,
  type JobWorker,
  type QueueConfig,
} from '../src/index.js';
import { closer, uniquePrefix } from './helpers.js';

interface Jobs {
  email: { to: string };
  report: { day: string };
}
const QUEUES = {
  email: { attempts: 3, backoff: { type: 'exponential', delay: '20ms' } },
  report: {},
} satisfies Record<keyof Jobs, QueueConfig>;

describe('without redis (disabled, or none configured)', () => {
  const c = closer();
  afterEach(() => c.closeAll());

  it("fallback 'inline' runs the handler in this process, with retries, and logs the mode once", async () => {
    const logger = captureLogger();
    const queues = c.track(createQueues<Jobs>({ queues: QUEUES, logger }));
    expect(queues.mode).toBe('inline');
    const seen: string[] = [];
    c.track(
      createWorker(queues, 'email', (job) => {
        if (job.attempt < 2) throw new Error('first try fails');
        seen.push(job.data.to);
      }),
    );
    const results = await Promise.all([
      queues.add('email', { to: 'a' }),
      queues.add('email', { to: 'b' }, { key: 'k' }),
      queues.add('email', { to: 'b' }, { key: 'k' }),
    ]);
    expect(results.map((r) => r.state)).toEqual(['inline', 'inline', 'inline']);
    await waitUntil(() => seen.length === 2, { what: 'two inline jobs done' });
    await waitUntil(async () => (await queues.counts()).email.completed === 2);
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(queues.stats()).toMatchObject({ mode: 'inline', redis: 'absent' });
    const modeLines = logger.entries.filter((e) => e.msg.includes('background jobs disabled'));
    expect(modeLines).toHaveLength(1);
    // and no second, generic memory-only line from the shared options
    expect(logger.entries.filter((e) => e.msg.includes('memory-only'))).toHaveLength(0);
  });

  it('inline delayed jobs can be cancelled and rescheduled', async () => {
    const queues = c.track(createQueues<Jobs>({ queues: QUEUES, disabled: true }));
    const seen: string[] = [];
    c.track(createWorker(queues, 'report', (job) => void seen.push(job.data.day)));
    await queues.schedule('report', { day: 'mon' }, { delay: '1h', key: 'mon' });
    await queues.schedule('report', { day: 'tue' }, { delay: '1h', key: 'tue' });
    expect((await queues.counts()).report.delayed).toBe(2);
    expect(await queues.cancel('report', 'mon')).toBe(true);
    expect(await queues.reschedule('report', 'tue', { delay: '10ms' })).toBe(true);
    await waitUntil(() => seen.length === 1);
    expect(seen).toEqual(['tue']);
  });

  it("disabled with fallback 'drop' resolves, runs nothing and never touches redis", async () => {
    const logger = captureLogger();
    // a client to a port nobody listens on: disabled must not even try it
    const { Redis } = await import('ioredis');
    const client = new Redis({ port: 1, lazyConnect: true });
    const queues = c.track(
      createQueues<Jobs>({
        redis: client,
        disabled: true,
        fallback: 'drop',
        queues: QUEUES,
        logger,
      }),
    );
    let ran = 0;
    c.track(createWorker(queues, 'email', () => void ran++));
    expect(await queues.add('email', { to: 'x' })).toMatchObject({ state: 'dropped' });
    await queues.repeat('report', { every: '1h' }, { day: 'x' });
    expect(ran).toBe(0);
    expect(client.status).toBe('wait');
    expect(logger.entries.filter((e) => e.msg.includes('dropped'))).toHaveLength(1);
    client.disconnect();
  });
});

describe('options', () => {
  it('refuses unknown options, naming the nearest one', () => {
    expect(() => createQueues({ queues: { a: {} }, prefx: 'x' } as never)).toThrow(
      /unknown option `prefx` \(did you mean `prefix`\?\)/,
    );
    expect(() => createQueues({ queues: { a: { atempts: 2 } } } as never)).toThrow(
      /queues\.a\.atempts.*did you mean `queues\.a\.attempts`/,
    );
    const error = (() => {
      try {
        createQueues({ queues: { a: { attempts: 0 } } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(JobsConfigError);
    expect(error).toMatchObject({ code: 'E_JOBS_CONFIG', field: 'queues.a.attempts' });
    expect(() => createQueues({ queues: { 'a:b': {} } })).toThrow(JobsConfigError);
    expect(() => createQueues({ queues: {} })).toThrow(/at least one queue/);
    expect(() => createQueues({ queues: { a: {} }, fallback: 'later' as never })).toThrow(
      /fallback/,
    );
  });

  it('bad call input is a JobsInputError (a 4xx), never a 5xx', async () => {
    const queues = createQueues<Jobs>({ queues: QUEUES, fallback: 'drop' });
    await expect(queues.add('nope' as 'email', { to: 'x' })).rejects.toBeInstanceOf(JobsInputError);
    await expect(queues.add('email', { to: 'x' }, { key: '' })).rejects.toMatchObject({
      code: 'E_JOBS_INPUT',
      field: 'key',
    });
    await expect(
      queues.schedule('email', { to: 'x' }, { delay: 'soon' as never, key: 'k' }),
    ).rejects.toMatchObject({ code: 'E_JOBS_INPUT', field: 'delay' });
    await expect(queues.repeat('report', {}, { day: 'x' })).rejects.toBeInstanceOf(JobsInputError);
    await queues.close();
  });

  it('errors carry the HTTP status an error handler should answer (status and statusCode)', async () => {
    const queues = createQueues<Jobs>({ queues: QUEUES, fallback: 'drop' });
    const input = await queues.add('email', { to: 'x' }, { key: '' }).catch((e: unknown) => e);
    expect(input).toBeInstanceOf(JobsInputError);
    expect(input).toMatchObject({ code: 'E_JOBS_INPUT', status: 400, statusCode: 400 });
    await queues.close();
    const unavailable = new JobsUnavailableError('jobs: redis unavailable', 2);
    expect(unavailable).toMatchObject({
      code: 'E_JOBS_UNAVAILABLE',
      status: 503,
      statusCode: 503,
      retryAfterSeconds: 2,
    });
    // a bad option at creation is a programming error, not an answer: no status
    const config = (() => {
      try {
        createQueues({ queues: {} });
      } catch (error) {
        return error;
      }
    })();
    expect(config).toBeInstanceOf(JobsConfigError);
    expect(config).not.toHaveProperty('status');
  });

  it('types: queue names and job data are checked', () => {
    const queues = createQueues<Jobs>({ queues: QUEUES, fallback: 'drop' });
    expectTypeOf(queues).toEqualTypeOf<JobQueues<Jobs>>();
    expectTypeOf(queues.add<'email'>)
      .parameter(1)
      .toEqualTypeOf<{ to: string }>();
    expectTypeOf(queues.add).returns.resolves.toEqualTypeOf<EnqueueResult>();
    expectTypeOf(queues.counts).returns.resolves.toEqualTypeOf<
      Record<'email' | 'report', JobCounts>
    >();
    const worker = createWorker(queues, 'report', (job) => {
      expectTypeOf(job.data).toEqualTypeOf<{ day: string }>();
    });
    expectTypeOf(worker).toEqualTypeOf<JobWorker>();
    // @ts-expect-error unknown queue
    queues.add('sms', { to: 'x' }).catch(() => {});
    // @ts-expect-error wrong data
    queues.add('email', { day: 'x' }).catch(() => {});
    // inferred from the queues option when no type argument is given
    const inferred = createQueues({ queues: { a: {}, b: {} }, fallback: 'drop' });
    expectTypeOf(inferred.names).toEqualTypeOf<readonly ('a' | 'b')[]>();
    void worker.close();
    void queues.close();
    void inferred.close();
  });
});

describeEachTopology(
  'connections',
  (ctx) => {
    const c = closer();
    afterEach(() => c.closeAll());

    it('takes a RedisConnection and a client with keyPrefix (moved into the BullMQ prefix)', async () => {
      const prefix = uniquePrefix('conn');
      const env = ctx.env();
      const connection = createRedis(loadRedisConfig(env));
      c.track(connection);
      const queues = c.track(createQueues<Jobs>({ redis: connection, prefix, queues: QUEUES }));
      const seen: string[] = [];
      c.track(createWorker(queues, 'email', (job) => void seen.push(job.data.to)));
      await queues.add('email', { to: 'via-connection' });
      await waitUntil(() => seen.length === 1);

      const prefixed = ctx.client({ keyPrefix: 'app:' });
      const other = c.track(createQueues<Jobs>({ redis: prefixed, prefix, queues: QUEUES }));
      await other.add('email', { to: 'p' }, { key: 'kp' });
      const probe = ctx.client();
      const base = `app:${prefix}jobs`;
      const key = ctx.name === 'cluster' ? `{${base}}:email:k-kp` : `${base}:email:k-kp`;
      expect(await probe.exists(key)).toBe(1);
      // the caller's client is left as it was (BullMQ refuses keyPrefix on the clients it is given)
      expect(
        prefixed.options.keyPrefix ??
          (prefixed.options as { redisOptions?: { keyPrefix?: string } }).redisOptions?.keyPrefix,
      ).toBe('app:');
    });
  },
  ['standalone', 'cluster'],
);
