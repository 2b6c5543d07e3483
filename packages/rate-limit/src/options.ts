import {
  durationOption,
  type Logger,
  type RedisRuntime,
  refuseUnknownOptions,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import { configError } from './errors.js';
import type { Algorithm, LimiterOptions, RedisErrorPolicy } from './types.js';

export const LIMITER_OPTION_NAMES = [
  ...SHARED_OPTION_NAMES,
  'name',
  'window',
  'limit',
  'algorithm',
  'burst',
  'clock',
] as const;

export interface ResolvedLimiterOptions {
  runtime: RedisRuntime | undefined;
  namespace: string;
  name: string;
  windowMs: number;
  limit: number;
  algorithm: Algorithm;
  /** Units a full bucket / window holds: `burst` for GCRA, else `limit` (what remaining counts down from). */
  capacity: number;
  /** GCRA: µs between two units at the sustained rate, window / limit rounded up (never looser). */
  emissionUs: number;
  /** The script arguments, formatted once (not per decision). */
  windowArg: string;
  limitArg: string;
  capacityArg: string;
  emissionArg: string;
  onRedisError: RedisErrorPolicy;
  commandTimeoutMs: number;
  maxMemoryEntries: number;
  clock: (() => number) | undefined;
  logger: Logger;
}

const ALGORITHMS: readonly Algorithm[] = ['fixed-window', 'sliding-window', 'gcra'];
const SHORT: Record<Algorithm, string> = {
  'fixed-window': 'fw',
  'sliding-window': 'sw',
  gcra: 'gcra',
};

/** Validates options once, at creation, and fills defaults. Errors name the field. */
export function resolveLimiterOptions(
  options: LimiterOptions,
  known: readonly string[] = LIMITER_OPTION_NAMES,
): ResolvedLimiterOptions {
  refuseUnknownOptions(options, known, configError);
  if (options === undefined) throw configError('options', 'options must be an object');
  const windowMs = durationOption(options.window, 'window', Number.NaN, configError);
  if (!(windowMs >= 1)) {
    throw configError(
      'window',
      `window must be a duration of at least 1 ms, e.g. 60, '500ms', '15m' (got ${JSON.stringify(options.window)})`,
    );
  }
  const limit: unknown = options.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw configError('limit', `limit must be a positive integer (got ${JSON.stringify(limit)})`);
  }
  const algorithm = options.algorithm ?? 'fixed-window';
  if (!ALGORITHMS.includes(algorithm)) {
    throw configError(
      'algorithm',
      `algorithm must be one of 'fixed-window', 'sliding-window', 'gcra' (got ${JSON.stringify(algorithm)})`,
    );
  }
  const burst: unknown = options.burst ?? limit;
  if (options.burst !== undefined && algorithm !== 'gcra') {
    throw configError(
      'burst',
      `burst applies to algorithm 'gcra' only (algorithm is '${algorithm}')`,
    );
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    throw configError('burst', `burst must be a positive integer (got ${JSON.stringify(burst)})`);
  }
  const name =
    options.name ??
    `${SHORT[algorithm]}-${limit}-${windowMs}${burst !== limit ? `-b${burst}` : ''}`;
  if (typeof name !== 'string' || name.length === 0) {
    throw configError('name', 'name must be a non-empty string');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw configError('clock', 'clock must be a function returning epoch ms');
  }
  const shared = resolveSharedOptions(
    'ratelimit',
    options,
    {
      policies: ['memory', 'allow', 'deny'],
      defaultPolicy: 'memory',
      defaultMaxMemoryEntries: 10_000,
    },
    configError,
  );
  const capacity = algorithm === 'gcra' ? burst : limit;
  const emissionUs = Math.ceil((windowMs * 1000) / limit);
  return {
    runtime: shared.runtime,
    namespace: shared.namespace,
    name,
    windowMs,
    limit,
    algorithm,
    capacity,
    emissionUs,
    windowArg: String(windowMs),
    limitArg: String(limit),
    capacityArg: String(capacity),
    emissionArg: String(emissionUs),
    onRedisError: shared.policy,
    commandTimeoutMs: shared.commandTimeoutMs,
    maxMemoryEntries: shared.maxMemoryEntries,
    clock: options.clock,
    logger: shared.logger,
  };
}
