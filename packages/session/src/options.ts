import {
  DURATION_FORM,
  type DurabilityOptions,
  durationToMs,
  type Logger,
  type RedisRuntime,
  refuseUnknownOptions,
  resolveDurability,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import {
  SessionConfigError,
  SessionSecretMissingError,
  SessionSecretTooShortError,
} from './errors.js';
import type { OnRedisError, SessionMiddlewareOptions } from './types.js';

export const MIN_SECRET_LENGTH = 32;

const OWN_OPTIONS = [
  'secret',
  'ttl',
  'name',
  'cookie',
  'rolling',
  'trustProxy',
  'production',
  'tombstoneTtl',
  'activityResolution',
  'durability',
] as const;
const COOKIE_OPTIONS = [
  'maxAge',
  'signed',
  'expires',
  'httpOnly',
  'path',
  'domain',
  'secure',
  'encode',
  'sameSite',
  'priority',
  'partitioned',
] as const;
/** Options of 0.1 that 0.2 removed (not aliased): what to use instead. */
const REMOVED: Record<string, string> = {
  memoryMaxSessions: 'use `maxMemoryEntries`',
  commandTimeoutMs: "use `commandTimeout` (a duration: 0.5 or '500ms')",
  cooldownMs: 'removed: the shared runtime probes Redis by itself',
  retryAfterSeconds: 'removed: Retry-After follows the shared runtime',
};

const invalid = (field: string, message: string): SessionConfigError =>
  new SessionConfigError(field, message);

/** The toolkit's duration rule (a number is seconds; strings carry a unit) → ms, at least 1 s. */
export function parseDuration(value: unknown, field: string, fallback: string | number): number {
  const v = value ?? fallback;
  const ms = durationToMs(v);
  if (ms === undefined || ms < 1000) {
    throw invalid(field, `expected ${DURATION_FORM}, of at least 1 s; got ${JSON.stringify(v)}`);
  }
  return ms;
}

/** Internal: what the store and middleware run on. */
export interface ResolvedOptions {
  runtime: RedisRuntime | undefined;
  namespace: string;
  logger: Logger;
  policy: OnRedisError;
  commandTimeoutMs: number;
  maxMemoryEntries: number;
  secrets: string[];
  ttlMs: number;
  tombstoneTtlMs: number;
  activityResolutionMs: number;
  name: string;
  production: boolean;
  durability: DurabilityOptions;
}

export function resolveOptions(o: SessionMiddlewareOptions): ResolvedOptions {
  if (!o || typeof o !== 'object') throw invalid('options', 'expected an options object');
  for (const old of Object.keys(REMOVED)) {
    if (old in o) throw invalid(old, `unknown option \`${old}\` (${REMOVED[old]})`);
  }
  if ((o as { onRedisError?: unknown }).onRedisError === 'fail') {
    throw invalid('onRedisError', "'fail' was renamed 'deny' (503 with Retry-After)");
  }
  refuseUnknownOptions(o, [...SHARED_OPTION_NAMES, ...OWN_OPTIONS], invalid);
  refuseUnknownOptions(o.cookie, COOKIE_OPTIONS, invalid, 'cookie');
  const shared = resolveSharedOptions<OnRedisError>(
    'session',
    o,
    { policies: ['deny', 'memory'], defaultPolicy: 'deny', defaultMaxMemoryEntries: 10_000 },
    invalid,
  );
  const { logger } = shared;
  const production = o.production ?? process.env.NODE_ENV === 'production';
  const secrets = resolveSecrets(o.secret, production, logger);

  const name = o.name ?? 'sid';
  if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw invalid('name', 'expected a cookie name (RFC 6265 token)');
  }
  const ttlMs = parseDuration(o.ttl, 'ttl', '7d');
  let activityResolutionMs = Math.min(60_000, Math.floor(ttlMs / 10));
  if (o.activityResolution === 0) activityResolutionMs = 0;
  else if (o.activityResolution !== undefined) {
    activityResolutionMs = parseDuration(o.activityResolution, 'activityResolution', '1m');
    if (activityResolutionMs > ttlMs / 2) {
      throw invalid(
        'activityResolution',
        `expected 0 or a duration of at most half the ttl (${ttlMs / 2} ms); got ${JSON.stringify(o.activityResolution)}`,
      );
    }
  }
  const durability = resolveDurability(o.durability, invalid);
  return {
    ...shared,
    secrets,
    ttlMs,
    activityResolutionMs,
    tombstoneTtlMs: parseDuration(o.tombstoneTtl, 'tombstoneTtl', '1h'),
    name,
    production,
    durability,
  };
}

function resolveSecrets(
  secret: SessionMiddlewareOptions['secret'],
  production: boolean,
  logger: Logger,
): string[] {
  const secrets = (Array.isArray(secret) ? [...secret] : [secret]).filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  if (secrets.length === 0) {
    throw new SessionSecretMissingError(
      'secret',
      'a cookie signing secret is required (a random string of 32+ characters, or an array for rotation)',
    );
  }
  const short = secrets.findIndex((s) => s.length < MIN_SECRET_LENGTH);
  if (short !== -1) {
    const where = Array.isArray(secret) ? `secret[${short}]` : 'secret';
    if (production) {
      throw new SessionSecretTooShortError(
        where,
        `must be at least ${MIN_SECRET_LENGTH} characters in production (e.g. \`openssl rand -base64 48\`)`,
      );
    }
    logger.warn(
      `session: ${where} is shorter than ${MIN_SECRET_LENGTH} characters; this is refused in production`,
    );
  }
  return secrets;
}
