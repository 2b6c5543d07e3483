import { describe, expect, it } from 'vitest';
import { createQueues, createWorker, JobsConfigError } from '../src/index.js';

// Memory-only: the option check runs before any worker or connection exists.
describe('createWorker options', () => {
  it('an unknown worker option is refused, naming the nearest known one', async () => {
    const queues = createQueues({ queues: { email: {} }, fallback: 'drop' });
    let caught: unknown;
    try {
      createWorker(queues, 'email', async () => {}, { concurency: 2 } as never);
    } catch (error) {
      caught = error;
    }
    await queues.close();
    expect(caught).toBeInstanceOf(JobsConfigError);
    expect(caught).toMatchObject({ code: 'E_JOBS_CONFIG', field: 'concurency' });
    expect((caught as Error).message).toMatch(/did you mean `concurrency`\?/);
  });
});

// A bare number is seconds in the toolkit; BullMQ's own options are milliseconds, so a 5000 meant
// as 5 s would wait 83 minutes. Timeouts that large must carry their unit.
describe('worker timeouts', () => {
  it('shutdownTimeout: 5000 is refused, naming the field and both readings; with a unit it is taken', async () => {
    const queues = createQueues({ queues: { email: {} }, fallback: 'drop' });
    try {
      let caught: unknown;
      try {
        createWorker(queues, 'email', async () => {}, { shutdownTimeout: 5000 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(JobsConfigError);
      expect(caught).toMatchObject({ field: 'shutdownTimeout' });
      expect((caught as Error).message).toMatch(/5000 seconds is 83 min; write '5000ms'/);
      const worker = createWorker(queues, 'email', async () => {}, { shutdownTimeout: '5000ms' });
      await expect(worker.close({ timeout: 2000 })).rejects.toMatchObject({ field: 'timeout' });
      const short = createWorker(queues, 'email', async () => {}, { shutdownTimeout: 30 });
      await short.close({ timeout: '20m' });
    } finally {
      await queues.close();
    }
  });
});
