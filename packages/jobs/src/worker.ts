import {
  durationOption,
  logSafeError,
  refuseUnknownOptions,
  ToolkitEvents,
  timeoutOption,
} from '@redis-toolkit/connection';
import { type Job, Worker } from 'bullmq';
import { closeClient } from './connection.js';
import { configError, JobsInputError } from './errors.js';
import { internalsOf, type QueuesInternals } from './internals.js';
import { createQueues } from './queues.js';
import type {
  JobContext,
  JobHandler,
  JobQueues,
  JobsOptions,
  JobWorker,
  WorkerOptions,
} from './types.js';

const WORKER_FIELDS = [
  'concurrency',
  'shutdownTimeout',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
] as const;

function durationMs(job: Job): number | undefined {
  return job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : undefined;
}

/**
 * A worker for one queue. On Redis it is a BullMQ Worker on a connection of its own
 * (`maxRetriesPerRequest: null`; BullMQ reconnects it, so workers pause and resume with Redis by
 * themselves); without Redis it registers `handler` for the inline fallback. `close()` drains.
 */
export function createWorker<J extends object, K extends keyof J & string>(
  source: JobQueues<J> | JobsOptions<J>,
  name: K,
  handler: JobHandler<J[K]>,
  options: WorkerOptions = {},
): JobWorker {
  let internals = internalsOf.get(source);
  let owned: JobQueues<J> | undefined;
  if (!internals) {
    owned = createQueues(source as JobsOptions<J>);
    internals = internalsOf.get(owned) as QueuesInternals;
  }
  const { queues, logger } = internals;
  const config = queues.get(name);
  if (!config) {
    throw new JobsInputError(
      'name',
      `unknown queue ${JSON.stringify(name)}; known: ${[...queues.keys()].join(', ')}`,
    );
  }
  refuseWorkerOptions(options);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw configError('concurrency', 'concurrency must be a whole number ≥ 1');
  }
  const shutdownMs = timeoutOption(options.shutdownTimeout, 'shutdownTimeout', 30_000, configError);
  const events = internals.events.get(name) ?? new ToolkitEvents('jobs', name);
  const run = handler as JobHandler<unknown>;
  let closing: Promise<void> | undefined;
  // One close per worker. Its timeout is read before it starts: a refused one rejects that call and
  // leaves the worker closable.
  const closeOnce: (
    opts: Parameters<JobWorker['close']>[0],
    start: (timeoutMs: number) => Promise<void>,
  ) => Promise<void> = (opts, start) => {
    try {
      closing ??= start(timeoutOption(opts?.timeout, 'timeout', shutdownMs, configError));
    } catch (error) {
      return Promise.reject(error);
    }
    return closing;
  };

  if (!internals.plumbing) {
    const off = internals.inline?.register(name, run);
    return {
      queue: name,
      get running() {
        return internals.inline?.active ?? 0;
      },
      // nothing runs in the background to wait for; the timeout is still checked as with Redis
      close: (opts) =>
        closeOnce(opts, async () => {
          off?.();
          await owned?.close();
        }),
    };
  }

  const plumbing = internals.plumbing;
  const connection = plumbing.workerConnection();
  const inFlight = new Set<Promise<unknown>>();
  /** Abort controllers of running jobs whose handler read `signal` (made on first read). */
  const controllers = new Set<AbortController>();
  const worker = new Worker(
    name,
    // Two parameters, on purpose: BullMQ builds an AbortController for every job when the
    // processor declares a third (signal), which cost more per job than the rest of this wrapper.
    (job: Job) => {
      let controller: AbortController | undefined;
      const context: JobContext<unknown> = {
        id: job.id as string,
        queue: name,
        data: job.data,
        attempt: job.attemptsMade + 1,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            controllers.add(controller);
          }
          return controller.signal;
        },
      };
      let work: Promise<unknown>;
      try {
        work = Promise.resolve(run(context));
      } catch (error) {
        work = Promise.reject(error);
      }
      inFlight.add(work);
      const settled = () => {
        inFlight.delete(work);
        if (controller) controllers.delete(controller);
      };
      void work.then(settled, settled);
      return work;
    },
    {
      connection: connection.client,
      prefix: plumbing.bullPrefix,
      concurrency,
      ...(config.limiter ? { limiter: config.limiter } : {}),
      lockDuration: durationOption(options.lockDuration, 'lockDuration', 30_000, configError),
      stalledInterval: durationOption(
        options.stalledInterval,
        'stalledInterval',
        30_000,
        configError,
      ),
      maxStalledCount: options.maxStalledCount ?? 1,
    },
  );
  worker.on('completed', (job) => {
    const ms = durationMs(job);
    events.emit('job', 'completed', 1, ms === undefined ? undefined : { durationMs: ms });
  });
  worker.on('failed', (job, error) => {
    const reason = logSafeError(error).message;
    const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
    const ms = job ? durationMs(job) : undefined;
    events.emit('job', final ? 'failed' : 'retried', 1, {
      reason,
      ...(ms === undefined ? {} : { durationMs: ms }),
    });
    if (final) logger.warn({ queue: name, jobId: job?.id, err: reason }, 'jobs: job failed');
  });
  worker.on('stalled', (jobId) => {
    logger.info({ queue: name, jobId }, 'jobs: stalled job moved back to wait (its worker died)');
  });
  // BullMQ reports connection trouble here while it reconnects; the outage is logged once by the runtime
  worker.on('error', (error) => {
    logger.debug({ queue: name, err: logSafeError(error).message }, 'jobs: worker error');
  });

  return {
    queue: name,
    get running() {
      return inFlight.size;
    },
    close: (opts) =>
      closeOnce(opts, async (timeoutMs) => {
        const deadline = performance.now() + timeoutMs;
        const untilDeadline = () => Math.max(0, deadline - performance.now());
        await settlesWithin(worker.pause(true), untilDeadline());
        // a job fetched just before the pause lands in inFlight too: wait on the live set
        while (inFlight.size > 0 && performance.now() < deadline) {
          await settlesWithin(Promise.allSettled([...inFlight]), Math.max(1, untilDeadline()));
        }
        const left = inFlight.size;
        if (left > 0) {
          logger.warn(
            { queue: name, running: left, timeoutMs },
            'jobs: shutdown timeout with jobs still running; they are retried by another worker (stalled-job recovery)',
          );
          for (const controller of controllers) controller.abort(new Error('worker shutting down'));
        }
        // With nothing running BullMQ closes gracefully (it lets a completion being written land,
        // then QUITs); with jobs left it stops renewing their locks and disconnects. Neither gets
        // an answer from a hung or dead server, and BullMQ's close then never resolves: past the
        // deadline (at least CLOSE_GRACE_MS after the jobs) every connection is dropped instead.
        // A connection already known lost gets no grace: nothing can be written through it.
        const reachable = connection.client.status === 'ready' && plumbing.runtime.available;
        const closeBy = reachable ? Math.max(untilDeadline(), CLOSE_GRACE_MS) : untilDeadline();
        const started = performance.now();
        const closed = await settlesWithin(worker.close(left > 0 || !reachable), closeBy);
        if (!closed) {
          logger.warn(
            { queue: name, timeoutMs: Math.round(closeBy) },
            'jobs: worker connections did not close in time (Redis unreachable?); dropped them',
          );
        } else if (reachable) {
          await closeClient(
            connection.client,
            Math.max(1, closeBy - (performance.now() - started)),
          );
        }
        connection.disconnectAll();
        await owned?.close();
      }),
  };
}

/** How long closing the connections may take when the jobs used up the whole timeout. */
const CLOSE_GRACE_MS = 1000;

/** True when `work` settled within `ms`; never rejects (a rejection counts as settled). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function refuseWorkerOptions(options: WorkerOptions): void {
  // the shared refusal: names the nearest known option (`concurency` → `concurrency`)
  refuseUnknownOptions(options, WORKER_FIELDS, configError);
}
