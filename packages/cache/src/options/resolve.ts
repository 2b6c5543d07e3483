import {
  type DurabilityOptions,
  durationOption,
  type Logger,
  type RedisRuntime,
  refuseUnknownOptions,
  resolveDurability,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import type { Codec } from '../encryption/codec.js';
import { resolveEncryption } from '../encryption/resolve.js';
import { CacheConfigError } from '../errors.js';
import { jsonSerializer, type Serializer } from '../serializer.js';
import type { CacheOptions, CachePolicy, L1Invalidation } from './types.js';

/** The options a cache runs with, validated and in ms. Internal: never exported from the package. */
export interface CacheConfig {
  runtime: RedisRuntime | undefined;
  /** `{prefix}cache:` — entries live under it, internals under `{namespace}#`. */
  namespace: string;
  logger: Logger;
  policy: CachePolicy;
  commandTimeoutMs: number;
  maxMemoryEntries: number;
  maxMemoryBytes: number | undefined;
  mode: 'tier' | 'fallback';
  l1TtlMs: number | undefined;
  freeze: boolean;
  invalidation: L1Invalidation;
  bus: boolean;
  serializer: Serializer;
  defaultTtlMs: number;
  defaultGraceMs: number;
  maxPending: number;
  lockTtlMs: number;
  lockWaitMs: number;
  /** Undefined when off (the default). */
  durability: DurabilityOptions | undefined;
  /** The root's codec, when `encryption` was given. */
  encryption: Codec | undefined;
}

const OWN = [
  'maxMemoryBytes',
  'defaultTtl',
  'defaultGrace',
  'l1',
  'bus',
  'serializer',
  'maxPendingInvalidations',
  'lock',
  'durability',
  'encryption',
] as const;

/** Names removed in 0.2 (not aliased), so the error can say what replaced them. */
const RENAMED: Record<string, string> = {
  commandTimeoutMs: 'commandTimeout',
  circuitBreaker: 'nothing (the shared runtime handles outages; see the README)',
  'l1.maxEntries': 'maxMemoryEntries',
  'l1.maxBytes': 'maxMemoryBytes',
};

const makeError = (field: string, message: string): Error => new CacheConfigError(field, message);

export const ms = (value: unknown, field: string, fallbackMs: number): number =>
  durationOption(value, field, fallbackMs, makeError);

function refuseRenamed(input: Record<string, unknown>): void {
  const l1 = input.l1 as Record<string, unknown> | undefined;
  for (const [old, now] of Object.entries(RENAMED)) {
    const [a, b] = old.split('.') as [string, string | undefined];
    const present = b === undefined ? a in input : l1 !== null && typeof l1 === 'object' && b in l1;
    if (present) throw new CacheConfigError(old, `\`${old}\` was removed in 0.2: use ${now}`);
  }
}

export function resolveCacheOptions(input: CacheOptions): CacheConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CacheConfigError('options', 'expected an object');
  }
  refuseRenamed(input as unknown as Record<string, unknown>);
  refuseUnknownOptions(input, [...SHARED_OPTION_NAMES, ...OWN], makeError);
  refuseUnknownOptions(input.l1, ['mode', 'ttl', 'copy', 'invalidation'], makeError, 'l1');
  refuseUnknownOptions(input.lock, ['ttl', 'wait'], makeError, 'lock');
  const durability = resolveDurability(input.durability, makeError, { replicas: 0 });
  const shared = resolveSharedOptions(
    'cache',
    input,
    { policies: ['memory', 'deny'], defaultPolicy: 'memory', defaultMaxMemoryEntries: 10_000 },
    makeError,
  );
  if (!shared.runtime && shared.maxMemoryEntries === 0) {
    throw new CacheConfigError(
      'maxMemoryEntries',
      'a memory-only cache (no redis) needs maxMemoryEntries > 0',
    );
  }
  const bytes = input.maxMemoryBytes;
  if (bytes !== undefined && !(typeof bytes === 'number' && bytes > 0)) {
    throw new CacheConfigError('maxMemoryBytes', 'expected a positive number of bytes');
  }
  const l1 = input.l1 ?? {};
  if (l1.mode !== undefined && l1.mode !== 'tier' && l1.mode !== 'fallback') {
    throw new CacheConfigError('l1.mode', "expected 'tier' or 'fallback'");
  }
  if (l1.copy !== undefined && l1.copy !== 'freeze' && l1.copy !== 'clone') {
    throw new CacheConfigError('l1.copy', "expected 'freeze' or 'clone'");
  }
  const invalidation = l1.invalidation ?? 'auto';
  if (invalidation !== 'auto' && invalidation !== 'tracking' && invalidation !== 'bus') {
    throw new CacheConfigError('l1.invalidation', "expected 'auto', 'tracking' or 'bus'");
  }
  const maxPending = input.maxPendingInvalidations ?? 1000;
  if (!Number.isInteger(maxPending) || maxPending < 1) {
    throw new CacheConfigError('maxPendingInvalidations', 'expected a positive integer');
  }
  if (input.bus !== undefined && typeof input.bus !== 'boolean') {
    throw new CacheConfigError('bus', 'expected a boolean');
  }
  const serializer = input.serializer ?? jsonSerializer;
  if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw new CacheConfigError('serializer', 'expected { serialize, deserialize, binary, name }');
  }
  const defaultTtlMs = ms(input.defaultTtl, 'defaultTtl', 3_600_000);
  if (defaultTtlMs <= 0) throw new CacheConfigError('defaultTtl', 'expected a positive duration');
  return {
    runtime: shared.runtime,
    namespace: shared.namespace,
    logger: shared.logger,
    policy: shared.policy,
    commandTimeoutMs: shared.commandTimeoutMs,
    maxMemoryEntries: shared.maxMemoryEntries,
    maxMemoryBytes: bytes,
    mode: shared.runtime ? (l1.mode ?? 'fallback') : 'tier',
    l1TtlMs: l1.ttl === undefined ? undefined : ms(l1.ttl, 'l1.ttl', 0),
    freeze: (l1.copy ?? 'freeze') === 'freeze',
    invalidation,
    bus: input.bus !== false,
    serializer,
    defaultTtlMs,
    defaultGraceMs: ms(input.defaultGrace, 'defaultGrace', 0),
    maxPending,
    lockTtlMs: ms(input.lock?.ttl, 'lock.ttl', 10_000),
    lockWaitMs: ms(input.lock?.wait, 'lock.wait', 15_000),
    durability: durability.replicas === 0 ? undefined : durability,
    encryption: resolveEncryption(input.encryption),
  };
}
