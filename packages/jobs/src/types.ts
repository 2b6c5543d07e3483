import type {
  Duration,
  Outbox,
  SharedOptions,
  ToolkitCounters,
  ToolkitListener,
} from '@redis-toolkit/connection';

/** Queue name → the data type of its jobs. */
export type JobMap = Record<string, unknown>;

/** How long finished jobs stay in Redis: `true` = removed at once, `false` = kept for ever. */
export type KeepJobs = boolean | { age?: Duration; count?: number };

export interface BackoffConfig {
  type: 'exponential' | 'fixed';
  /** First retry delay (exponential: doubles each attempt). */
  delay: Duration;
}

/** Per-queue job defaults and worker limits. */
export interface QueueConfig {
  /** Tries in all (1 = no retry). Default 3. */
  attempts?: number;
  /** Default `{ type: 'exponential', delay: '1s' }`. */
  backoff?: BackoffConfig;
  /** Default `{ age: '24h', count: 100000 }`; also the window in which `key` deduplicates. */
  removeOnComplete?: KeepJobs;
  /** Default `{ age: '7d', count: 10000 }`: failed jobs stay for inspection, bounded. */
  removeOnFail?: KeepJobs;
  /** At most `max` jobs per `duration`, across every worker of the queue. */
  limiter?: { max: number; duration: Duration };
}

/** What producers do when there is no Redis (disabled, or none configured). */
export type FallbackMode = 'inline' | 'drop';

/** The payload of one outbox entry (kind `job`): everything needed to add it later, exactly once. */
export interface OutboxJob {
  queue: string;
  jobId: string;
  data: unknown;
  /** Epoch ms the job should run at (delayed jobs); absent = now. */
  runAt?: number;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: boolean | { age?: number; count?: number };
  removeOnFail: boolean | { age?: number; count?: number };
}

export interface JobsOptions<J extends object = JobMap> extends SharedOptions<'deny'> {
  /** One entry per queue; the keys are the queue names. */
  queues: { [K in keyof J & string]: QueueConfig };
  /** `DISABLE_BACKGROUND_JOBS`: never touch Redis, run the `fallback` instead. Default false. */
  disabled?: boolean;
  /** Without Redis: `'inline'` runs the handler in this process, `'drop'` logs once and resolves. Default `'inline'`. */
  fallback?: FallbackMode;
  /** Jobs added while Redis is unavailable go here and are replayed (idempotently) when it returns. */
  outbox?: Outbox<OutboxJob>;
  /** How often to look for entries other instances left in the outbox. Default `'5s'`. */
  outboxReplayInterval?: Duration;
}

export interface AddOptions {
  /** Idempotency key: the same key while the job is kept enqueues it once (retried HTTP requests). */
  key?: string | number;
}

/** When a delayed job runs: `at` (Date or epoch ms) or `delay` from now. */
export type When = { at: Date | number; delay?: never } | { delay: Duration; at?: never };

export type ScheduleOptions = When & { key: string | number };

export interface RepeatSpec {
  /** Interval. */
  every?: Duration;
  /** Cron pattern (5 or 6 fields). */
  pattern?: string;
  tz?: string;
}

export type EnqueueState = 'queued' | 'outbox' | 'inline' | 'dropped';

export interface EnqueueResult {
  /** The job id (derived from `key` when given). */
  id: string;
  state: EnqueueState;
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface JobsStats extends ToolkitCounters {
  mode: 'redis' | 'inline' | 'drop';
  redis: 'up' | 'down' | 'absent';
}

export interface JobQueues<J extends object = JobMap> {
  readonly names: readonly (keyof J & string)[];
  /** `redis`, or the fallback in use. */
  readonly mode: 'redis' | 'inline' | 'drop';
  /** Enqueues now. With `key`, a second add of the same key is a no-op (same id). */
  add<K extends keyof J & string>(
    name: K,
    data: J[K],
    options?: AddOptions,
  ): Promise<EnqueueResult>;
  /** Enqueues to run at `at` / after `delay`; `key` lets you cancel or move it. */
  schedule<K extends keyof J & string>(
    name: K,
    data: J[K],
    options: ScheduleOptions,
  ): Promise<EnqueueResult>;
  /** Removes a job that has not started. False when there is none (already ran, unknown key). */
  cancel(name: keyof J & string, key: string | number): Promise<boolean>;
  /** Moves a delayed job. False when it is no longer delayed (running, done) or unknown. */
  reschedule(name: keyof J & string, key: string | number, when: When): Promise<boolean>;
  /** A repeatable job, stored once in Redis however many instances call this (upsert). */
  repeat<K extends keyof J & string>(
    name: K,
    spec: RepeatSpec,
    data: J[K],
    options?: { id?: string },
  ): Promise<void>;
  /** Removes a repeatable job. */
  unrepeat(name: keyof J & string, id?: string): Promise<boolean>;
  /** Jobs per state, per queue. */
  counts(): Promise<Record<keyof J & string, JobCounts>>;
  /** Replays the outbox now (also runs by itself when Redis comes back). Resolves with the number replayed. */
  drainOutbox(): Promise<number>;
  readonly events: { on(listener: ToolkitListener): () => void };
  stats(): JobsStats;
  /** Closes producers (not the client you passed). Idempotent. */
  close(): Promise<void>;
}

export interface JobContext<D> {
  id: string;
  queue: string;
  data: D;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted when `close()` runs out of time with this job still running. Made on first read. */
  signal: AbortSignal | undefined;
}

export type JobHandler<D> = (job: JobContext<D>) => unknown;

export interface WorkerOptions {
  /** Jobs run at once by this worker. Default 1. */
  concurrency?: number;
  /** How long `close()` waits for running jobs before leaving them to stalled-job recovery. Default `'30s'`. */
  shutdownTimeout?: Duration;
  /** A running job's lock; a worker that died is noticed after this. Default `'30s'`. */
  lockDuration?: Duration;
  /** How often to look for jobs whose worker died. Default `'30s'`. */
  stalledInterval?: Duration;
  /** Stalls before a job counts as failed. Default 1. */
  maxStalledCount?: number;
}

export interface JobWorker {
  readonly queue: string;
  /**
   * Stops taking jobs, waits for running ones up to `timeout`, closes its connections. Resolves
   * within `timeout` + 1 s even while Redis is hung or gone (connections dropped). Idempotent.
   */
  close(options?: { timeout?: Duration }): Promise<void>;
  /** Jobs running now in this process. */
  readonly running: number;
}
