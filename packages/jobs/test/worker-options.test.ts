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
