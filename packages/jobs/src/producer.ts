import { Queue } from 'bullmq';
import type { Plumbing } from './connection.js';
import type { ResolvedQueue } from './options.js';
import type { OutboxJob } from './types.js';

/** BullMQ job options for one job of a queue, from the resolved queue options. */
export function jobOptions(
  config: Pick<OutboxJob, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>,
  jobId: string | undefined,
  delay: number,
) {
  return {
    ...(jobId !== undefined ? { jobId } : {}),
    ...(delay > 0 ? { delay } : {}),
    attempts: config.attempts,
    backoff: config.backoff,
    removeOnComplete: bullKeep(config.removeOnComplete),
    removeOnFail: bullKeep(config.removeOnFail),
  };
}

/** BullMQ's KeepJobs: `{ age, count? }`, a count, or a boolean. */
function bullKeep(
  keep: OutboxJob['removeOnComplete'],
): boolean | number | { age: number; count?: number } {
  if (typeof keep === 'boolean') return keep;
  if (keep.age !== undefined)
    return keep.count === undefined ? { age: keep.age } : { age: keep.age, count: keep.count };
  return keep.count ?? false;
}

export function outboxPayload(
  queue: string,
  jobId: string,
  data: unknown,
  delay: number,
  config: ResolvedQueue,
): OutboxJob {
  return {
    queue,
    jobId,
    data,
    ...(delay > 0 ? { runAt: Date.now() + delay } : {}),
    attempts: config.attempts,
    backoff: config.backoff,
    removeOnComplete: config.removeOnComplete,
    removeOnFail: config.removeOnFail,
  };
}

/** BullMQ producers on the shared copy, created on first use (the outbox may name other queues). */
export class Producers {
  private readonly queues = new Map<string, Queue>();
  private readonly ready = new Set<string>();

  constructor(
    private readonly plumbing: Plumbing,
    private readonly onError: (error: Error) => void,
  ) {}

  get(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.plumbing.producer,
        prefix: this.plumbing.bullPrefix,
      });
      queue.on('error', this.onError);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * While the queue's connection is still being opened (its first use in this process): a promise
   * of its readiness. Opening a connection (a Cluster's slot map, BullMQ's version check) is not
   * a command, so the caller bounds it with a connect deadline, not the command deadline.
   */
  connecting(name: string): Promise<unknown> | undefined {
    if (this.ready.has(name)) return undefined;
    const queue = this.get(name);
    const opening = queue.waitUntilReady().then(() => {
      this.ready.add(name);
    });
    // A BullMQ Queue whose first initialisation failed (created while Redis was down) keeps that
    // rejected promise for good, so every later add and replay on it fails: start a fresh one.
    // The caller races this with a deadline; the catch also keeps a late rejection observed.
    opening.catch(() => {
      if (this.queues.get(name) !== queue) return;
      this.queues.delete(name);
      queue.close().catch(() => {});
    });
    return opening;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    this.ready.clear();
  }
}
