import type { Core } from '../core.js';
import { CacheConfigError, CacheUndefinedValueError } from '../errors.js';
import { ms } from '../options/resolve.js';
import type { SetOptions } from '../options/types.js';
import { serializeOrThrow } from '../serializer.js';
import type { Envelope } from '../values.js';

export interface Prepared {
  env: Envelope;
  /** The serialized envelope: what memory keeps. */
  data: string | Buffer;
  /** What Redis gets: `data`, or `data` sealed when the key is in an encrypted namespace. */
  stored: string | Buffer;
  /** Physical lifetime in Redis: ttl + grace. */
  px: number;
}

export function ttlOf(core: Core, options: SetOptions | undefined): { ttl: number; grace: number } {
  const ttl = ms(options?.ttl, 'ttl', core.config.defaultTtlMs);
  if (ttl <= 0) throw new CacheConfigError('ttl', 'expected a positive duration');
  return { ttl, grace: ms(options?.grace, 'grace', core.config.defaultGraceMs) };
}

/** Builds and serializes the envelope; throws (nothing written) for a value that cannot be cached. */
export function prepare(
  core: Core,
  key: string,
  value: unknown,
  options: SetOptions | undefined,
): Prepared {
  if (value === undefined) throw new CacheUndefinedValueError(key);
  const { ttl, grace } = ttlOf(core, options);
  const now = Date.now();
  const env: Envelope = { v: value, e: now + ttl, g: now + ttl + grace, c: now };
  if (options?.tags && options.tags.length > 0) env.t = [...options.tags];
  return prepareEnvelope(core, key, env, ttl + grace);
}

/** Serializes an envelope and, under an encrypted prefix, seals it for Redis. */
export function prepareEnvelope(core: Core, key: string, env: Envelope, px: number): Prepared {
  const data = serializeOrThrow(core.config.serializer, env, key);
  const codec = core.codecFor(key);
  return { env, data, stored: codec ? codec.seal(key, data) : data, px };
}
