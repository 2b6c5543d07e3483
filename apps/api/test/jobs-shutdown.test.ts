import { createRedis } from '@redis-toolkit/connection';
import { startRedis, waitUntil } from '@redis-toolkit/testing';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createAppJobs } from '../src/jobs/app-jobs.js';

/**
 * JOBS_SHUTDOWN_TIMEOUT reaches the workers as milliseconds. The toolkit reads a bare number as
 * seconds, and the app once passed its 5000 ms as 5000: a shutdown then waited up to 83 minutes on
 * a job that did not finish, or on BullMQ's close while Redis came back (seen in CI as a 60 s
 * hook timeout).
 */
describe('closeWorkers keeps JOBS_SHUTDOWN_TIMEOUT', () => {
  it('a job that never finishes holds the shutdown for the timeout (300 ms), not 300 s', async () => {
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const connection = createRedis({ url: redis.url });
    onTestFinished(() => connection.close({ timeoutMs: 1_000 }));
    await connection.waitUntilReady();
    const jobs = createAppJobs({
      redis: connection,
      logger: pino({ level: 'silent' }),
      disabled: false,
      workers: true,
      shutdownTimeoutMs: 300,
    });
    onTestFinished(() => jobs.close());
    let started = false;
    jobs.handle('email', () => {
      started = true;
      return new Promise<void>(() => {
        // never settles: the shutdown must not wait for it past its deadline
      });
    });
    await jobs.add('email', {
      to: 'a@school.test',
      subject: 'hi',
      text: 'hello',
      template: 'test',
    });
    await waitUntil(() => started, { what: 'the job running', timeoutMs: 10_000 });
    const t0 = performance.now();
    await jobs.closeWorkers();
    const ms = performance.now() - t0;
    // 300 ms for the job, then at most 1 s for BullMQ's close, and slack for a loaded machine
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(5_000);
  }, 30_000);
});
