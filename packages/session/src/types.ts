import type {
  DurabilityOptions,
  Duration,
  SharedOptions,
  ToolkitCounters,
} from '@redis-toolkit/connection';
import type { CookieOptions, SessionData, Store } from 'express-session';

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

export type { DurabilityOptions, Duration };

/**
 * While Redis is unavailable: `'deny'` (default) answers 503 with `Retry-After`; `'memory'` serves
 * and creates sessions in this instance's memory and writes them to Redis when it is back.
 */
export type OnRedisError = 'deny' | 'memory';

export interface SessionMiddlewareOptions extends SharedOptions<OnRedisError> {
  /** Cookie signing secret(s). An array rotates: the first signs, all verify. */
  secret: string | readonly string[];
  /** Idle lifetime of a session (sliding). Default `'7d'`. */
  ttl?: Duration;
  /** Cookie name. Default `'sid'`. */
  name?: string;
  /** Cookie options merged over the secure defaults. */
  cookie?: CookieOptions;
  /** Re-send the cookie on every response. Default `false`. */
  rolling?: boolean;
  /** Trust `X-Forwarded-Proto` for the secure-cookie decision (express-session `proxy`). Default: follow Express `trust proxy`. */
  trustProxy?: boolean;
  /** Production rules (secure cookies, 32+ char secrets). Default `process.env.NODE_ENV === 'production'`. */
  production?: boolean;
  /** How long a destroyed session id stays blocked against late writes. Default `'1h'`. */
  tombstoneTtl?: Duration;
  /**
   * Granularity of the per-user index (`lastSeenAt` in listings): it is refreshed at most once per
   * this interval per session, so other requests cost one Redis command, as with connect-redis.
   * `0` refreshes it on every request. Default `'1m'` (or a tenth of `ttl` if shorter); at most `ttl`/2.
   */
  activityResolution?: Duration;
  /** Logouts, revocations and the login write wait for a replica where replicas exist (`WAIT`). */
  durability?: DurabilityOptions;
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

/** `stats()`: the shared counters (hit, miss, error, fallback, revocation…) plus the session specifics. */
export interface SessionStats extends ToolkitCounters {
  saves: number;
  touches: number;
  /** Touches that sent nothing to Redis: the session's expiry was slid less than `activityResolution` ago. */
  touchesSkipped: number;
  /** Writes refused because the session had been destroyed (the #328 race). */
  blockedWrites: number;
  /** Values under a session key that were not a session (served as a fresh session). */
  corrupt: number;
  /** Per-user index refreshes sent by saves/touches (at most one per session per `activityResolution`). */
  indexRefreshes: number;
  /** Sessions held in this instance's memory (memory-only mode, or created during an outage). */
  memoryEntries: number;
  redis: 'up' | 'down' | 'absent';
}

/** The key names the store uses (logical keys: the client's `keyPrefix` is added by ioredis). */
export interface SessionKeys {
  readonly namespace: string;
  session(sid: string): string;
  tombstone(sid: string): string;
  indexMark(sid: string): string;
  userIndex(userId: string): string;
  userMeta(userId: string): string;
}

/**
 * `sessions.store`: the express-session `Store` (callback API, `ids`/`length`/`all`/`clear` on
 * every Cluster master) plus its promise API.
 */
export interface RedisSessionStore extends Store {
  readonly keys: SessionKeys;
  read(sid: string): Promise<SessionData | null>;
  write(sid: string, session: SessionData): Promise<void>;
  refresh(sid: string, session: SessionData): Promise<void>;
  remove(sid: string): Promise<void>;
  /** Records a logged-in session in its user's index (`login` does it). */
  indexAdd(sid: string, session: SessionData): Promise<void>;
  ids(cb: (err: unknown, ids?: string[]) => void): void;
  all(cb: (err: unknown, sessions?: SessionData[]) => void): void;
  length(cb: (err: unknown, length?: number) => void): void;
  clear(cb?: (err?: unknown) => void): void;
  sessionIds(): Promise<string[]>;
  allSessions(): Promise<(SessionData & { id: string })[]>;
  /** Deletes everything under this store's namespace on every master (never FLUSHDB). */
  clearAll(): Promise<void>;
}
