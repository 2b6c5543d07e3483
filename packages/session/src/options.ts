import { DURATION_FORM, durationToMs, silentLogger } from '@redis-toolkit/connection';
import { SessionConfigError } from './errors.js';
import type { Duration, SessionMiddlewareOptions } from './types.js';

export const MIN_SECRET_LENGTH = 32;

/** The toolkit's duration rule (a number is seconds; strings carry a unit) → ms, at least 1 s. */
export function parseDuration(
  value: Duration | undefined,
  field: string,
  fallback: Duration,
): number {
  const v = value ?? fallback;
  const ms = durationToMs(v);
  if (ms === undefined || ms < 1000) {
    throw new SessionConfigError(
      SessionConfigError.codes.invalidOption,
      field,
      `expected ${DURATION_FORM}, of at least 1 s; got ${JSON.stringify(v)}`,
    );
  }
  return ms;
}

export interface ResolvedOptions {
  secrets: string[];
  prefix: string;
  ttlMs: number;
  tombstoneTtlMs: number;
  name: string;
  production: boolean;
  onRedisError: 'fail' | 'memory';
  commandTimeoutMs: number;
  cooldownMs: number;
  retryAfterSeconds: number;
  memoryMaxSessions: number;
  activityResolutionMs: number;
  logger: NonNullable<SessionMiddlewareOptions['logger']>;
}

export function resolveOptions(o: SessionMiddlewareOptions): ResolvedOptions {
  const invalid = (field: string, expected: string) =>
    new SessionConfigError(SessionConfigError.codes.invalidOption, field, expected);
  if (!o || typeof o !== 'object') throw invalid('options', 'expected an options object');
  if (!o.redis || typeof (o.redis as { get?: unknown }).get !== 'function') {
    throw invalid('redis', 'expected an ioredis client (Redis or Cluster)');
  }
  const logger = o.logger ?? silentLogger;
  const production = o.production ?? process.env.NODE_ENV === 'production';

  const secrets = (Array.isArray(o.secret) ? [...o.secret] : [o.secret]).filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  if (secrets.length === 0) {
    throw new SessionConfigError(
      SessionConfigError.codes.secretMissing,
      'secret',
      'a cookie signing secret is required (a random string of 32+ characters, or an array for rotation)',
    );
  }
  const short = secrets.findIndex((s) => s.length < MIN_SECRET_LENGTH);
  if (short !== -1) {
    const where = Array.isArray(o.secret) ? `secret[${short}]` : 'secret';
    if (production) {
      throw new SessionConfigError(
        SessionConfigError.codes.secretTooShort,
        where,
        `must be at least ${MIN_SECRET_LENGTH} characters in production (e.g. \`openssl rand -base64 48\`)`,
      );
    }
    logger.warn(
      `session: ${where} is shorter than ${MIN_SECRET_LENGTH} characters; this is refused in production`,
    );
  }

  const prefix = o.prefix ?? 'sess:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw invalid(
      'prefix',
      'expected a string without { or } (braces are used as Cluster hash tags)',
    );
  }
  const onRedisError = o.onRedisError ?? 'fail';
  if (onRedisError !== 'fail' && onRedisError !== 'memory')
    throw invalid('onRedisError', "expected 'fail' or 'memory'");
  const name = o.name ?? 'sid';
  if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw invalid('name', 'expected a cookie name (RFC 6265 token)');
  }
  const positive = (field: string, v: number | undefined, fallback: number): number => {
    const n = v ?? fallback;
    if (!Number.isFinite(n) || n <= 0) throw invalid(field, 'expected a positive number');
    return n;
  };
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
  return {
    secrets,
    prefix,
    ttlMs,
    activityResolutionMs,
    tombstoneTtlMs: parseDuration(o.tombstoneTtl, 'tombstoneTtl', '1h'),
    name,
    production,
    onRedisError,
    commandTimeoutMs: positive('commandTimeoutMs', o.commandTimeoutMs, 1000),
    cooldownMs: positive('cooldownMs', o.cooldownMs, 1000),
    retryAfterSeconds: positive('retryAfterSeconds', o.retryAfterSeconds, 5),
    memoryMaxSessions: positive('memoryMaxSessions', o.memoryMaxSessions, 10_000),
    logger,
  };
}
