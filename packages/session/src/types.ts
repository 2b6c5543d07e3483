import type { Duration, Logger, RedisClient } from '@redis-toolkit/connection';
import type { CookieOptions } from 'express-session';

/** What `login()` records in the session (`req.session.auth`); the field name is reserved. */
export interface SessionAuth {
  userId: string;
  /** ms since epoch */
  createdAt: number;
  ip?: string;
  userAgent?: string;
}

declare module 'express-session' {
  interface SessionData {
    auth: SessionAuth;
  }
}

export type { Duration };

export type OnRedisError = 'fail' | 'memory';

export interface SessionMiddlewareOptions {
  /** ioredis client (standalone, Sentinel or Cluster). Its `keyPrefix` is respected. */
  redis: RedisClient;
  /** Cookie signing secret(s). An array rotates: the first signs, all verify. */
  secret: string | readonly string[];
  /** Key prefix inside Redis, after the client's own keyPrefix. Default `'sess:'`. */
  prefix?: string;
  /** Idle lifetime of a session (sliding). Default `'7d'`. */
  ttl?: Duration;
  /** Cookie name. Default `'sid'`. */
  name?: string;
  /** Cookie options merged over the secure defaults. */
  cookie?: CookieOptions;
  /** Re-send the cookie on every response. Default `false`. */
  rolling?: boolean;
  /** What to do when Redis is unreachable. Default `'fail'` (503). */
  onRedisError?: OnRedisError;
  logger?: Logger;
  /** Trust `X-Forwarded-Proto` for the secure-cookie decision (express-session `proxy`). Default: follow Express `trust proxy`. */
  trustProxy?: boolean;
  /** Production rules (secure cookies, 32+ char secrets). Default `process.env.NODE_ENV === 'production'`. */
  production?: boolean;
  /** Longest wait for one Redis call before the request is answered 503 / served from memory. Default `1000` ms. */
  commandTimeoutMs?: number;
  /** After a Redis failure, fail fast for this long before trying Redis again. Default `1000` ms. */
  cooldownMs?: number;
  /** `Retry-After` seconds on the 503. Default `5`. */
  retryAfterSeconds?: number;
  /** How long a destroyed session id stays blocked against late writes. Default `'1h'`. */
  tombstoneTtl?: Duration;
  /** Bound on sessions held in memory under `onRedisError: 'memory'`. Default `10000`. */
  memoryMaxSessions?: number;
  /**
   * Granularity of the per-user index (`lastSeenAt` in listings): it is refreshed at most once per
   * this interval per session, so other requests cost one Redis command, as with connect-redis.
   * `0` refreshes it on every request (exact `lastSeenAt`, one more command per request).
   * Default `'1m'` (or a tenth of `ttl` if that is shorter); at most half of `ttl`.
   */
  activityResolution?: Duration;
}

/** One row of `listUserSessions`. `id` is a hash of the session id, safe to show and to pass to `revokeSession`. */
export interface UserSessionInfo {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip?: string;
  userAgent?: string;
  /** The session of the request asking (when `current` was given). */
  current: boolean;
}

export interface LoginDetails {
  /** Defaults to `req.ip`. */
  ip?: string;
  /** Defaults to the User-Agent header (first 256 chars). */
  userAgent?: string;
}

export interface SessionStats {
  loads: number;
  misses: number;
  saves: number;
  touches: number;
  destroys: number;
  /** Writes refused because the session had been destroyed (the #328 race). */
  blockedWrites: number;
  /** Values under a session key that were not a session (served as a fresh session). */
  corrupt: number;
  /** Redis calls that failed as unavailable. */
  unavailable: number;
  /** Calls served from memory (`onRedisError: 'memory'`). */
  fallbacks: number;
  /** Per-user index refreshes sent by saves/touches (at most one per session per `activityResolution`). */
  indexRefreshes: number;
}
