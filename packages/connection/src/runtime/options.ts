import type { RedisConnection } from '../connection-types.js';
import { DURATION_FORM, type Duration, durationToMs } from '../duration.js';
import { type Logger, type RedisClient, silentLogger } from '../types.js';
import { packageNamespace } from './keys.js';
import { RedisRuntime } from './runtime.js';

/** What every factory accepts as `redis`: a connection from `createRedis`, an ioredis client, or nothing (memory-only). */
export type RedisInput = RedisConnection | RedisClient | null | undefined;

/** The options every factory of the toolkit shares (documented once in the connection README). */
export interface SharedOptions<Policy extends string = string> {
  /** A `RedisConnection`, an ioredis `Redis`/`Cluster`, or absent: memory-only (one info line, no outage warnings). */
  redis?: RedisInput;
  /** The app's prefix; the package appends its own segment: keys are `{prefix}{package}:…`. Default `''`. */
  prefix?: string;
  /** What to do while Redis is unavailable; each package lists the policies it supports and its default. */
  onRedisError?: Policy;
  /** Deadline of one Redis call. Default `'500ms'` (or the connection's when `redis` is a `RedisConnection`). */
  commandTimeout?: Duration;
  /** Upper bound on the entries this instance keeps in memory (L1, fallback, mirror). */
  maxMemoryEntries?: number;
  /** pino-compatible logger. Default: silent. */
  logger?: Logger;
}

export const SHARED_OPTION_NAMES = [
  'redis',
  'prefix',
  'onRedisError',
  'commandTimeout',
  'maxMemoryEntries',
  'logger',
] as const;

/** A package's typed error for a bad option: `(field, message) => Error`. */
export type OptionErrorFactory = (field: string, message: string) => Error;

/**
 * Refuses every option not in `known`, naming the nearest known one: `createCache({ tll: 5 })`
 * → "unknown option `tll` (did you mean `ttl`?)". Also refuses a non-object.
 */
export function refuseUnknownOptions(
  input: unknown,
  known: readonly string[],
  makeError: OptionErrorFactory,
  path = '',
): void {
  if (input === undefined) return;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw makeError(path || 'options', `${path || 'options'} must be an object`);
  }
  for (const name of Object.keys(input)) {
    if (known.includes(name)) continue;
    const field = path ? `${path}.${name}` : name;
    const near = nearest(name, known);
    throw makeError(
      field,
      `unknown option \`${field}\`${near ? ` (did you mean \`${path ? `${path}.` : ''}${near}\`?)` : ''}; known: ${known.join(', ')}`,
    );
  }
}

/**
 * The known name closest to `name` (Damerau-free Levenshtein ≤ 1/3 of its length + 1), or
 * undefined. A known name also matches by its camelCase tail of 3+ letters, since users often
 * write the tail alone: `ttl` → `defaultTtl`, `timeout` → `commandTimeout`.
 */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.floor(name.length / 3) + 2;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    for (const form of namesOf(candidate)) {
      const distance = levenshtein(lower, form);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
  }
  return best;
}

/** `defaultTtl` → `defaultttl`, `ttl` (lowercase; tails from each inner capital, 3+ letters). */
function namesOf(candidate: string): string[] {
  const forms = [candidate.toLowerCase()];
  for (let i = 1; i <= candidate.length - 3; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 65 && c <= 90) forms.push(candidate.slice(i).toLowerCase());
  }
  return forms;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        current + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** A duration option in ms, or the package's typed error naming the field. */
export function durationOption(
  value: unknown,
  field: string,
  fallbackMs: number,
  makeError: OptionErrorFactory,
): number {
  if (value === undefined) return fallbackMs;
  const ms = durationToMs(value);
  if (ms === undefined) {
    throw makeError(field, `${field} must be ${DURATION_FORM} (got ${JSON.stringify(value)})`);
  }
  return ms;
}

/**
 * A bare number this large is refused for a timeout: seconds by the toolkit's rule, it is almost
 * always milliseconds meant (ioredis's and BullMQ's unit), and would wait a thousand times longer.
 */
const AMBIGUOUS_TIMEOUT_SECONDS = 1000;

/**
 * `durationOption` for a timeout: a bare number of 1000 or more is refused, naming both readings
 * (`shutdownTimeout: 5000` → "… 5000 seconds is 83 min; write '5000ms' …"). Longer timeouts are
 * written with their unit (`'20m'`).
 */
export function timeoutOption(
  value: unknown,
  field: string,
  fallbackMs: number,
  makeError: OptionErrorFactory,
): number {
  if (typeof value === 'number' && value >= AMBIGUOUS_TIMEOUT_SECONDS) {
    throw makeError(
      field,
      `${field}: a bare number is seconds, and ${value} seconds is ${Math.round(value / 60)} min; write '${value}ms' for milliseconds, or a longer timeout with its unit ('${Math.round(value / 60)}m')`,
    );
  }
  return durationOption(value, field, fallbackMs, makeError);
}

export interface ResolvedShared<Policy extends string> {
  /** `undefined` in memory-only mode. */
  runtime: RedisRuntime | undefined;
  /** `{prefix}{package}:` */
  namespace: string;
  logger: Logger;
  policy: Policy;
  commandTimeoutMs: number;
  maxMemoryEntries: number;
}

function isConnection(value: object): value is RedisConnection {
  return 'client' in value && 'health' in value && 'waitUntilReady' in value;
}

function isClient(value: object): value is RedisClient {
  return typeof (value as { call?: unknown }).call === 'function' && 'status' in value;
}

/**
 * Validates and resolves the shared options of one package: its runtime (the one shared by every
 * package on the same client), namespace, logger, policy and bounds. In memory-only mode (no
 * `redis`, or a disabled connection) logs one info line and returns `runtime: undefined`.
 */
export function resolveSharedOptions<Policy extends string>(
  pkg: string,
  input: SharedOptions<Policy> | undefined,
  spec: {
    policies: readonly Policy[];
    defaultPolicy: Policy;
    defaultMaxMemoryEntries: number;
    /**
     * The one info line of memory-only mode, when the package can say more than the generic
     * "memory-only" (what it does instead): logged in place of it, so the mode is logged once.
     */
    memoryOnlyLog?: { message: string; fields?: Record<string, unknown> };
  },
  makeError: OptionErrorFactory,
): ResolvedShared<Policy> {
  input ??= {};
  const logger = input.logger ?? silentLogger;
  for (const method of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof (logger as unknown as Record<string, unknown>)[method] !== 'function') {
      throw makeError(
        'logger',
        `logger must be pino-compatible: logger.${method} is not a function`,
      );
    }
  }
  const prefix = input.prefix ?? '';
  if (typeof prefix !== 'string') throw makeError('prefix', 'prefix must be a string');
  if (/[{}]/.test(prefix)) {
    throw makeError(
      'prefix',
      'prefix must not contain `{` or `}` (packages add their own hash tags)',
    );
  }
  const policy = input.onRedisError ?? spec.defaultPolicy;
  if (!spec.policies.includes(policy)) {
    throw makeError(
      'onRedisError',
      `onRedisError must be one of ${spec.policies.map((p) => `'${p}'`).join(', ')} (got ${JSON.stringify(policy)})`,
    );
  }
  const maxMemoryEntries = input.maxMemoryEntries ?? spec.defaultMaxMemoryEntries;
  if (!Number.isInteger(maxMemoryEntries) || maxMemoryEntries < 0) {
    throw makeError('maxMemoryEntries', 'maxMemoryEntries must be a whole number ≥ 0');
  }
  const redis = input.redis;
  let client: RedisClient | null | undefined;
  let connectionTimeout: number | undefined;
  let name: string | undefined;
  if (redis === undefined || redis === null) client = undefined;
  else if (typeof redis === 'object' && isConnection(redis)) {
    client = redis.client;
    name = redis.name;
    const config = redis.config as { commandTimeoutMs?: number };
    connectionTimeout = config.commandTimeoutMs;
  } else if (typeof redis === 'object' && isClient(redis)) client = redis;
  else {
    throw makeError(
      'redis',
      'redis must be a RedisConnection (createRedis), an ioredis Redis/Cluster client, or absent for memory-only',
    );
  }
  const commandTimeoutMs = timeoutOption(
    input.commandTimeout,
    'commandTimeout',
    Math.min(connectionTimeout ?? 500, 500),
    makeError,
  );
  const namespace = packageNamespace(prefix, pkg);
  if (!client) {
    if (spec.memoryOnlyLog) {
      logger.info({ package: pkg, ...spec.memoryOnlyLog.fields }, spec.memoryOnlyLog.message);
    } else {
      logger.info(
        { package: pkg },
        `${pkg}: no redis configured, memory-only (this instance only)`,
      );
    }
    return { runtime: undefined, namespace, logger, policy, commandTimeoutMs, maxMemoryEntries };
  }
  const runtime = RedisRuntime.for(client, {
    ...(name !== undefined ? { name } : {}),
    logger,
    commandTimeoutMs,
  });
  return { runtime, namespace, logger, policy, commandTimeoutMs, maxMemoryEntries };
}
