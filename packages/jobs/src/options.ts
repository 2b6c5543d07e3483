import {
  durationOption,
  type ResolvedShared,
  refuseUnknownOptions,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import { configError } from './errors.js';
import type { FallbackMode, JobsOptions, KeepJobs, QueueConfig } from './types.js';

const OWN = ['queues', 'disabled', 'fallback', 'outbox', 'outboxReplayInterval'] as const;
const QUEUE_FIELDS = [
  'attempts',
  'backoff',
  'removeOnComplete',
  'removeOnFail',
  'limiter',
] as const;

export type ResolvedKeep = boolean | { age?: number; count?: number };

/** One queue's options in BullMQ's units (ms, seconds for `age`). */
export interface ResolvedQueue {
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: ResolvedKeep;
  removeOnFail: ResolvedKeep;
  limiter: { max: number; duration: number } | undefined;
}

export interface ResolvedJobs {
  shared: ResolvedShared<'deny'>;
  queues: Map<string, ResolvedQueue>;
  disabled: boolean;
  fallback: FallbackMode;
  replayIntervalMs: number;
}

const DAY_S = 86_400;

function keep(value: KeepJobs | undefined, field: string, fallback: ResolvedKeep): ResolvedKeep {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  refuseUnknownOptions(value, ['age', 'count'], configError, field);
  const out: { age?: number; count?: number } = {};
  if (value.age !== undefined) {
    out.age = Math.ceil(durationOption(value.age, `${field}.age`, 0, configError) / 1000);
  }
  if (value.count !== undefined) {
    if (!Number.isInteger(value.count) || value.count < 0) {
      throw configError(`${field}.count`, `${field}.count must be a whole number ≥ 0`);
    }
    out.count = value.count;
  }
  return out;
}

function resolveQueue(name: string, config: QueueConfig | undefined): ResolvedQueue {
  const path = `queues.${name}`;
  refuseUnknownOptions(config ?? {}, QUEUE_FIELDS, configError, path);
  const c = config ?? {};
  const attempts = c.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw configError(`${path}.attempts`, `${path}.attempts must be a whole number ≥ 1`);
  }
  let backoff: ResolvedQueue['backoff'] = { type: 'exponential', delay: 1000 };
  if (c.backoff !== undefined) {
    refuseUnknownOptions(c.backoff, ['type', 'delay'], configError, `${path}.backoff`);
    if (c.backoff.type !== 'exponential' && c.backoff.type !== 'fixed') {
      throw configError(
        `${path}.backoff.type`,
        `${path}.backoff.type must be 'exponential' or 'fixed'`,
      );
    }
    backoff = {
      type: c.backoff.type,
      delay: durationOption(c.backoff.delay, `${path}.backoff.delay`, 1000, configError),
    };
  }
  let limiter: ResolvedQueue['limiter'];
  if (c.limiter !== undefined) {
    refuseUnknownOptions(c.limiter, ['max', 'duration'], configError, `${path}.limiter`);
    if (!Number.isInteger(c.limiter.max) || c.limiter.max < 1) {
      throw configError(`${path}.limiter.max`, `${path}.limiter.max must be a whole number ≥ 1`);
    }
    limiter = {
      max: c.limiter.max,
      duration: durationOption(c.limiter.duration, `${path}.limiter.duration`, 1000, configError),
    };
  }
  return {
    attempts,
    backoff,
    removeOnComplete: keep(c.removeOnComplete, `${path}.removeOnComplete`, {
      age: DAY_S,
      count: 100_000,
    }),
    removeOnFail: keep(c.removeOnFail, `${path}.removeOnFail`, { age: 7 * DAY_S, count: 10_000 }),
    limiter,
  };
}

// BullMQ refuses ':' in queue names would split keys; braces would pick a Cluster slot.
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function resolveJobsOptions<J extends object>(input: JobsOptions<J>): ResolvedJobs {
  refuseUnknownOptions(input, [...SHARED_OPTION_NAMES, ...OWN], configError);
  if (input.queues === undefined || input.queues === null || typeof input.queues !== 'object') {
    throw configError('queues', 'queues is required: { name: { attempts, backoff, ... } }');
  }
  const queues = new Map<string, ResolvedQueue>();
  for (const [name, config] of Object.entries(input.queues as Record<string, QueueConfig>)) {
    if (!QUEUE_NAME.test(name)) {
      throw configError(
        `queues.${name}`,
        `queue name ${JSON.stringify(name)} must match ${QUEUE_NAME}`,
      );
    }
    queues.set(name, resolveQueue(name, config));
  }
  if (queues.size === 0) throw configError('queues', 'queues must name at least one queue');
  const disabled = input.disabled ?? false;
  if (typeof disabled !== 'boolean') throw configError('disabled', 'disabled must be a boolean');
  const fallback = input.fallback ?? 'inline';
  if (fallback !== 'inline' && fallback !== 'drop') {
    throw configError(
      'fallback',
      `fallback must be 'inline' or 'drop' (got ${JSON.stringify(fallback)})`,
    );
  }
  const outbox = input.outbox;
  if (outbox !== undefined) {
    for (const method of ['append', 'list', 'remove', 'size'] as const) {
      if (typeof (outbox as unknown as Record<string, unknown>)[method] !== 'function') {
        throw configError('outbox', `outbox.${method} is not a function (an Outbox is expected)`);
      }
    }
  }
  const shared = resolveSharedOptions(
    'jobs',
    disabled ? { ...input, redis: undefined } : input,
    {
      policies: ['deny'],
      defaultPolicy: 'deny',
      defaultMaxMemoryEntries: 10_000,
      // jobs says what it does instead of enqueueing; the generic memory-only line would be a second one
      memoryOnlyLog: {
        message: `jobs: background jobs disabled (${disabled ? 'disabled: true' : 'no redis'}): ${
          fallback === 'inline' ? 'handlers run inline in this process' : 'jobs are dropped'
        }`,
        fields: { fallback },
      },
    },
    configError,
  );
  return {
    shared,
    queues,
    disabled,
    fallback,
    replayIntervalMs: durationOption(
      input.outboxReplayInterval,
      'outboxReplayInterval',
      5000,
      configError,
    ),
  };
}
