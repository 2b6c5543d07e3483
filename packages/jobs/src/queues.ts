import {
  isRedisUnavailable,
  logSafeError,
  type OutboxEntry,
  type OutboxReplayer,
  startOutboxReplay,
  ToolkitEvents,
} from '@redis-toolkit/connection';
import { plumbingFor } from './connection.js';
import { JobsInputError, JobsUnavailableError } from './errors.js';
import { InlineRunner } from './inline.js';
import { internalsOf } from './internals.js';
import { delayOf, jobIdFor } from './job-id.js';
import { resolveJobsOptions } from './options.js';
import { jobOptions, outboxPayload, Producers } from './producer.js';
import type {
  EnqueueResult,
  JobCounts,
  JobQueues,
  JobsOptions,
  OutboxJob,
  RepeatSpec,
  When,
} from './types.js';
import { durationOrThrow } from './units.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
/** Deadline of opening the producer connection on first use (see `connected`). */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Typed producers for the named queues, on BullMQ. Without Redis (`disabled`, or no `redis`)
 * the `fallback` runs instead and nothing throws; while Redis is unavailable `add` writes to the
 * `outbox` when there is one (replayed exactly once by id), else fails fast with `E_JOBS_UNAVAILABLE`.
 */
export function createQueues<J extends object>(options: JobsOptions<J>): JobQueues<J> {
  const resolved = resolveJobsOptions(options);
  const { shared, queues } = resolved;
  const { runtime, logger } = shared;
  const events = new Map([...queues.keys()].map((n) => [n, new ToolkitEvents('jobs', n)]));
  const names = [...queues.keys()] as (keyof J & string)[];
  const mode = runtime ? 'redis' : resolved.fallback;
  const plumbing = runtime ? plumbingFor(runtime, shared.namespace) : undefined;
  const inline =
    mode === 'inline'
      ? new InlineRunner(queues, events, logger, shared.maxMemoryEntries)
      : undefined;
  // the mode's one log line comes from resolveJobsOptions (memoryOnlyLog)
  const onQueueError = (error: Error) =>
    logger.debug({ package: 'jobs', err: logSafeError(error).message }, 'jobs: producer error');
  const producers = plumbing ? new Producers(plumbing, onQueueError) : undefined;
  const outbox = options.outbox;
  const timeoutMs = shared.commandTimeoutMs;
  /**
   * The first call on a queue in this process waits for the producer connection under this
   * deadline instead of the command one: under load a Cluster connection took longer than the
   * 500 ms command deadline to open, and that cold start was taken for an outage.
   */
  const connected = (name: string): Promise<unknown> | undefined => {
    const opening = producers?.connecting(name);
    if (!opening || !runtime) return undefined;
    return runtime.run(
      `jobs connect ${name}`,
      () => opening,
      Math.max(timeoutMs, CONNECT_TIMEOUT_MS),
    );
  };

  const configOf = (name: string) => {
    const config = queues.get(name);
    if (!config) {
      throw new JobsInputError(
        'name',
        `unknown queue ${JSON.stringify(name)}; known: ${names.join(', ')}`,
      );
    }
    return config;
  };
  const eventsOf = (name: string) => events.get(name) as ToolkitEvents;

  const replay = async (entries: OutboxEntry<OutboxJob>[]): Promise<void> => {
    if (!producers || !runtime) return;
    for (const entry of entries) {
      if (entry.kind !== 'job') continue;
      const job = entry.payload;
      const delay = job.runAt === undefined ? 0 : Math.max(0, job.runAt - Date.now());
      await connected(job.queue);
      await runtime.run(
        `jobs replay ${job.queue}`,
        () => producers.get(job.queue).add(job.queue, job.data, jobOptions(job, job.jobId, delay)),
        timeoutMs,
      );
      events.get(job.queue)?.emit('job', 'replayed');
    }
  };
  const replayer: OutboxReplayer | undefined =
    outbox && runtime
      ? startOutboxReplay({
          runtime,
          outbox,
          replay,
          intervalMs: resolved.replayIntervalMs,
          logger,
        })
      : undefined;

  const unavailable = async (
    name: string,
    jobId: string,
    data: unknown,
    delay: number,
    cause: unknown,
  ): Promise<EnqueueResult> => {
    const retryAfter = runtime?.retryAfterSeconds() ?? 1;
    if (outbox) {
      try {
        await outbox.append({
          id: `${name}/${jobId}`,
          kind: 'job',
          payload: outboxPayload(name, jobId, data, delay, configOf(name)),
          createdAt: Date.now(),
        });
        eventsOf(name).emit('fallback', 'add', 1, { reason: 'outbox' });
        return { id: jobId, state: 'outbox' };
      } catch (error) {
        eventsOf(name).emit('error', 'add', 1, { reason: logSafeError(error).message });
        throw new JobsUnavailableError(
          `jobs: redis unavailable and the outbox refused the job: ${logSafeError(error).message}`,
          retryAfter,
          error,
        );
      }
    }
    eventsOf(name).emit('error', 'add', 1, { reason: 'redis unavailable' });
    throw new JobsUnavailableError(
      `jobs: redis unavailable, ${name} job not enqueued`,
      retryAfter,
      cause,
    );
  };

  const enqueue = async (
    name: string,
    data: unknown,
    key: string | number | undefined,
    delay: number,
  ): Promise<EnqueueResult> => {
    const config = configOf(name);
    if (!runtime || !producers) {
      const jobId = jobIdFor(key);
      if (inline?.add(name, jobId, data, delay)) return { id: jobId, state: 'inline' };
      eventsOf(name).emit('fallback', 'add', 1, { reason: 'dropped' });
      return { id: jobId, state: 'dropped' };
    }
    // An id fixed before the first try makes an outbox replay (or a timed-out add that landed
    // anyway) idempotent; without key or outbox BullMQ's own counter is enough (and cheaper).
    const jobId = key !== undefined || outbox ? jobIdFor(key) : undefined;
    // known bad: answer at once instead of waiting on BullMQ's reconnects
    if (!runtime.available) return unavailable(name, jobId ?? '', data, delay, undefined);
    let id: string | undefined;
    try {
      const opening = connected(name);
      if (opening) await opening;
      const job = await runtime.run(
        `jobs add ${name}`,
        () => producers.get(name).add(name, data, jobOptions(config, jobId, delay)),
        timeoutMs,
      );
      id = job.id;
    } catch (error) {
      if (isRedisUnavailable(error)) return unavailable(name, jobId ?? '', data, delay, error);
      throw error;
    }
    eventsOf(name).emit('job', delay > 0 ? 'schedule' : 'add');
    return { id: id ?? jobId ?? '', state: 'queued' };
  };

  const guard = async <T>(name: string, op: string, call: () => Promise<T>): Promise<T> => {
    if (!runtime) throw new Error('unreachable: guard without runtime');
    try {
      await connected(name);
      return await runtime.run(`jobs ${op} ${name}`, call, timeoutMs);
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      eventsOf(name).emit('error', op, 1, { reason: 'redis unavailable' });
      throw new JobsUnavailableError(
        `jobs: redis unavailable, ${op} on ${name} not done`,
        runtime.retryAfterSeconds(),
        error,
      );
    }
  };

  let closing: Promise<void> | undefined;
  const api: JobQueues<J> = {
    names,
    mode,
    add: (name, data, opts) => enqueue(name, data, opts?.key, 0),
    schedule: async (name, data, opts) => {
      if (opts === undefined || opts.key === undefined) {
        throw new JobsInputError('key', 'schedule needs a key (to cancel or move the job later)');
      }
      return enqueue(name, data, opts.key, Math.max(1, delayOf(opts)));
    },
    async cancel(name, key) {
      configOf(name);
      const jobId = jobIdFor(key);
      if (!producers) return inline?.cancel(name, jobId) ?? false;
      const removed = await guard(name, 'cancel', async () => {
        const job = await producers.get(name).getJob(jobId);
        if (!job || (!(await job.isDelayed()) && !(await job.isWaiting()))) return 0;
        return producers.get(name).remove(jobId);
      });
      if (removed === 1) eventsOf(name).emit('job', 'cancel');
      return removed === 1;
    },
    async reschedule(name, key, when: When) {
      configOf(name);
      const jobId = jobIdFor(key);
      const delay = Math.max(1, delayOf(when));
      if (!producers) return inline?.reschedule(name, jobId, delay) ?? false;
      const moved = await guard(name, 'reschedule', async () => {
        const job = await producers.get(name).getJob(jobId);
        if (!job || !(await job.isDelayed())) return false;
        try {
          await job.changeDelay(delay);
          return true;
        } catch {
          // started or removed between the check and the move
          return false;
        }
      });
      if (moved) eventsOf(name).emit('job', 'reschedule');
      return moved;
    },
    async repeat(name, spec: RepeatSpec, data, opts) {
      const config = configOf(name);
      const id = opts?.id ?? name;
      const every = spec.every === undefined ? undefined : durationOrThrow(spec.every, 'every');
      if ((every === undefined) === (spec.pattern === undefined)) {
        throw new JobsInputError('every', 'repeat needs exactly one of `every` or `pattern`');
      }
      if (!producers) {
        inline?.repeat(name, id, spec, data);
        return;
      }
      const repeat = {
        ...(every !== undefined ? { every } : { pattern: spec.pattern as string }),
        ...(spec.tz !== undefined ? { tz: spec.tz } : {}),
      };
      const template = jobOptions(config, undefined, 0);
      await guard(name, 'repeat', () =>
        producers.get(name).upsertJobScheduler(id, repeat, { name, data, opts: template }),
      );
    },
    async unrepeat(name, id) {
      configOf(name);
      if (!producers) return inline?.unrepeat(name, id ?? name) ?? false;
      return guard(name, 'unrepeat', () => producers.get(name).removeJobScheduler(id ?? name));
    },
    async counts() {
      const out = {} as Record<keyof J & string, JobCounts>;
      for (const name of names) {
        if (!producers) {
          out[name] = inline?.snapshot(name) ?? {
            waiting: 0,
            active: 0,
            delayed: 0,
            failed: 0,
            completed: 0,
          };
          continue;
        }
        const raw = await guard(name, 'counts', () => producers.get(name).getJobCounts(...STATES));
        out[name] = Object.fromEntries(STATES.map((s) => [s, raw[s] ?? 0])) as unknown as JobCounts;
      }
      return out;
    },
    drainOutbox: () => replayer?.drain() ?? Promise.resolve(0),
    events: {
      on(listener) {
        const offs = [...events.values()].map((e) => e.on(listener));
        return () => {
          for (const off of offs) off();
        };
      },
    },
    stats() {
      const total = Object.fromEntries(
        Object.keys(eventsOf(names[0] as string).counters).map((k) => [k, 0]),
      ) as Record<string, number>;
      for (const e of events.values()) {
        for (const [k, v] of Object.entries(e.counters)) total[k] = (total[k] ?? 0) + v;
      }
      return {
        ...(total as ReturnType<ToolkitEvents['snapshot']>),
        mode,
        redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
      };
    },
    close() {
      closing ??= (async () => {
        replayer?.stop();
        await inline?.close(5000);
        await producers?.close();
        await plumbing?.closeProducer();
      })();
      return closing;
    },
  };
  internalsOf.set(api, { plumbing, inline, queues, events, logger });
  return api;
}
