import type { Outbox, RedisConnection } from '@redis-toolkit/connection';
import {
  createQueues,
  createWorker,
  type JobHandler,
  type JobQueues,
  type JobWorker,
  type OutboxJob,
  type QueueConfig,
  type WorkerOptions,
} from '@redis-toolkit/jobs';
import type { Logger } from 'pino';
import { type BullQueues, bullQueuesFor } from './bull-queues.js';
import { JOBS_PREFIX, QUEUE_CONFIG } from './config.js';
import type { AppJobs, AppQueueName } from './types.js';

/**
 * The toolkit reads a bare number as seconds: the app's milliseconds go with their unit (a bare
 * 5000 was 5000 s, and a shutdown with Redis gone waited that long on BullMQ's close).
 */
const inMs = (ms: number): `${number}ms` => `${ms}ms`;

export interface AppJobsOptions {
  redis: RedisConnection;
  logger: Logger;
  /** `DISABLE_BACKGROUND_JOBS`: never touch Redis; handlers run in this process (inline). */
  disabled: boolean;
  /** `WORKERS_ENABLED`: run this instance's workers. Off: producers only (workers elsewhere). */
  workers: boolean;
  /** Where jobs go while Redis is unavailable (the app's database outbox). */
  outbox?: Outbox<OutboxJob>;
  /** How long `closeWorkers()` waits for running jobs (`JOBS_SHUTDOWN_TIMEOUT`). */
  shutdownTimeoutMs: number;
  /** Per-queue overrides (tests shorten backoffs). */
  queues?: Partial<{ [K in AppQueueName]: QueueConfig }>;
}

/**
 * The app's queues plus the handler registry. Handlers are registered with `handle(name, fn)`
 * where the app is built (`email` in app.ts, the dental and care queues in jobs/clinical.ts); a
 * handler starts its worker at once when this instance runs workers. Without Redis
 * (`REDIS_ENABLED=false` or `DISABLE_BACKGROUND_JOBS=true`) the package's inline fallback runs
 * the registered handler in this process, so `handle` always registers, whatever
 * `WORKERS_ENABLED` says.
 */
export interface AppJobQueues extends JobQueues<AppJobs> {
  /** Registers the handler of one queue (once per queue) and starts its worker. */
  handle<K extends AppQueueName>(
    name: K,
    handler: JobHandler<AppJobs[K]>,
    options?: WorkerOptions,
  ): void;
  /** Stops taking jobs and waits for running ones up to the deadline; producers stay open. Idempotent. */
  closeWorkers(timeoutMs?: number): Promise<void>;
  /** BullMQ queues for bull-board, opened on first call; `undefined` without Redis (inline). */
  bullQueues(): BullQueues | undefined;
}

/**
 * How long closing the producers and the board may take: their QUIT gets no answer from a hung
 * server (the package gives it 2 s), and the shutdown has other connections to close.
 */
const CLOSE_GRACE_MS = 1_000;

/** Resolves when `work` settles or after `ms`, whichever is first (never rejects). */
function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createAppJobs(options: AppJobsOptions): AppJobQueues {
  const { redis, logger } = options;
  const queues = createQueues<AppJobs>({
    ...(redis.client ? { redis } : {}),
    prefix: JOBS_PREFIX,
    disabled: options.disabled,
    fallback: 'inline',
    ...(redis.client && !options.disabled && options.outbox ? { outbox: options.outbox } : {}),
    queues: { ...QUEUE_CONFIG, ...options.queues },
    logger,
  });
  const inline = queues.mode !== 'redis';
  const runWorkers = inline || options.workers;
  if (!inline && !options.workers)
    logger.info('WORKERS_ENABLED=false: jobs are enqueued here and run by worker instances');
  const workers = new Map<AppQueueName, JobWorker>();
  const handlers = new Set<AppQueueName>();
  let closingWorkers: Promise<void> | undefined;
  let board: BullQueues | undefined;
  let closed = false;

  // Each worker's close keeps its deadline (plus at most 1 s to close its connections) even with
  // Redis hung or gone; a job still running then is recovered as stalled by another worker.
  const closeWorkers = (timeoutMs = options.shutdownTimeoutMs) => {
    closingWorkers ??= Promise.allSettled(
      [...workers.values()].map((w) => w.close({ timeout: inMs(timeoutMs) })),
    ).then(() => undefined);
    return closingWorkers;
  };

  return {
    get names() {
      return queues.names;
    },
    get mode() {
      return queues.mode;
    },
    events: queues.events,
    add: (name, data, addOptions) => queues.add(name, data, addOptions),
    schedule: (name, data, scheduleOptions) => queues.schedule(name, data, scheduleOptions),
    cancel: (name, key) => queues.cancel(name, key),
    reschedule: (name, key, when) => queues.reschedule(name, key, when),
    repeat: (name, spec, data, repeatOptions) => queues.repeat(name, spec, data, repeatOptions),
    unrepeat: (name, id) => queues.unrepeat(name, id),
    counts: () => queues.counts(),
    drainOutbox: () => queues.drainOutbox(),
    stats: () => queues.stats(),
    handle(name, handler, workerOptions) {
      if (handlers.has(name))
        throw new Error(`jobs: queue ${name} already has a handler (register it once)`);
      handlers.add(name);
      if (!runWorkers || closingWorkers) return;
      workers.set(
        name,
        createWorker(queues, name, handler, {
          shutdownTimeout: inMs(options.shutdownTimeoutMs),
          ...workerOptions,
        }),
      );
    },
    closeWorkers,
    bullQueues() {
      if (inline || !redis.client || closed) return undefined;
      board ??= bullQueuesFor(redis.client, queues.names);
      return board;
    },
    async close() {
      closed = true;
      await closeWorkers();
      await within(Promise.allSettled([queues.close(), board?.close()]), CLOSE_GRACE_MS);
    },
  };
}
