import {
  type DurabilityOptions,
  durationOption,
  type Logger,
  type Outbox,
  type RedisRuntime,
  refuseUnknownOptions,
  resolveDurability,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import { TokenBlacklistConfigError } from './errors.js';
import type { BlacklistPolicy, TokenBlacklistOptions } from './types.js';

/** Options after validation (internal: not exported from the package). */
export interface Resolved {
  runtime: RedisRuntime | undefined;
  /** `{prefix}blacklist:` */
  namespace: string;
  logger: Logger;
  policy: BlacklistPolicy;
  commandTimeoutMs: number;
  maxMemoryEntries: number;
  toleranceMs: number;
  maxLifeMs: number;
  maxTokenLength: number;
  mirror: { heartbeatMs: number; staleAfterMs: number } | undefined;
  outbox: Outbox | undefined;
  replayIntervalMs: number;
  durability: DurabilityOptions;
  issueDuringOutage: boolean;
}

const OWN = [
  'clockTolerance',
  'maxTokenLifetime',
  'mirror',
  'maxTokenLength',
  'outbox',
  'replayInterval',
  'durability',
  'issueDuringOutage',
] as const;

const makeError = (field: string, message: string) => new TokenBlacklistConfigError(field, message);

function positiveDuration(value: unknown, field: string, fallbackMs: number, allowZero = false) {
  const ms = durationOption(value, field, fallbackMs, makeError);
  if (!allowZero && ms <= 0) throw makeError(field, `${field} must be greater than 0`);
  return ms;
}

export function resolveOptions(input: TokenBlacklistOptions): Resolved {
  refuseUnknownOptions(input, [...SHARED_OPTION_NAMES, ...OWN], makeError);
  const shared = resolveSharedOptions(
    'blacklist',
    input,
    { policies: ['memory', 'deny'], defaultPolicy: 'memory', defaultMaxMemoryEntries: 1_000_000 },
    makeError,
  );
  let mirror: Resolved['mirror'];
  if (input.mirror !== undefined && input.mirror !== false) {
    if (input.mirror !== true) {
      refuseUnknownOptions(input.mirror, ['heartbeat', 'staleAfter'], makeError, 'mirror');
    }
    const m = input.mirror === true ? {} : input.mirror;
    const heartbeatMs = positiveDuration(m.heartbeat, 'mirror.heartbeat', 1000);
    mirror = {
      heartbeatMs,
      staleAfterMs: positiveDuration(m.staleAfter, 'mirror.staleAfter', heartbeatMs * 3),
    };
  }
  const durability = resolveDurability(input.durability, makeError);
  const outbox = input.outbox;
  if (outbox !== undefined) {
    for (const method of ['append', 'list', 'remove', 'size'] as const) {
      if (typeof (outbox as unknown as Record<string, unknown>)[method] !== 'function') {
        throw makeError(
          'outbox',
          `outbox must implement Outbox: outbox.${method} is not a function`,
        );
      }
    }
  }
  const maxTokenLength = input.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength <= 0) {
    throw makeError('maxTokenLength', 'maxTokenLength must be a whole number > 0');
  }
  if (input.issueDuringOutage !== undefined && typeof input.issueDuringOutage !== 'boolean') {
    throw makeError('issueDuringOutage', 'issueDuringOutage must be a boolean');
  }
  return {
    ...shared,
    toleranceMs: positiveDuration(input.clockTolerance, 'clockTolerance', 30_000, true),
    maxLifeMs: positiveDuration(input.maxTokenLifetime, 'maxTokenLifetime', 86_400_000),
    maxTokenLength,
    mirror: shared.runtime ? mirror : undefined,
    outbox,
    replayIntervalMs: positiveDuration(input.replayInterval, 'replayInterval', 5000),
    durability,
    issueDuringOutage: input.issueDuringOutage ?? false,
  };
}
