import type { Logger, RedisClient } from '@redis-toolkit/connection';

/** What a check does when Redis cannot answer and the local mirror is not known to be in sync. */
export type OnRedisError = 'local' | 'deny';

export interface MirrorOptions {
  /** How often each instance publishes a heartbeat on the channel and expects to hear it back. Default 1000 ms. */
  heartbeatMs?: number;
  /** The mirror stops answering when its own heartbeat has not come back for this long. Default 3 × heartbeatMs. */
  staleAfterMs?: number;
}

export interface TokenBlacklistOptions {
  /** An ioredis client (standalone, Sentinel-managed or Cluster). Not closed by `close()`. */
  redis: RedisClient;
  /** Prepended to every key and to the channel name. Default `'revoked:'`. */
  prefix?: string;
  /** Seconds of clock skew your verifier tolerates; revocations are kept this much longer than `exp`. Default 30. */
  clockTolerance?: number;
  /** Longest lifetime (seconds) of any token you issue, refresh tokens included: how long a user cut-off is kept. Default 86400. */
  maxTokenLifetime?: number;
  /** `'local'` (default): answer from local knowledge; `'deny'`: throw `RevocationUnavailableError` (HTTP 503). */
  onRedisError?: OnRedisError;
  /** Each Redis call is abandoned after this long and treated as a Redis failure. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Keep a local mirror of every live revocation, fed by pub/sub, and answer checks from it while in sync. Default false. */
  mirror?: boolean | MirrorOptions;
  /** Revocations made while Redis is down that wait for replay (deduped per token/user). Default 10,000. */
  maxPending?: number;
  /** Upper bound on locally held revocations (mirror, cached answers). Unreplayed own revocations are always kept. Default 1,000,000. */
  maxLocalEntries?: number;
  /** Longer token strings are rejected with `TokenInputError('token_too_large')`. Default 8192 characters. */
  maxTokenLength?: number;
  /** pino-compatible logger. Default: silent. */
  logger?: Logger;
}

/** A compact JWT string, or its (already verified) claims. */
export type TokenOrClaims = string | { jti?: unknown; sub?: unknown; exp?: unknown; iat?: unknown };

export type RevokeResult =
  | {
      revoked: true;
      /** Storage id: `j:<jti>`, `j#<sha256(jti)>` or `t#<sha256(token)>`. */
      id: string;
      /** When the revocation expires (token `exp` + clockTolerance). */
      expiresAt: Date;
      /** Written to Redis now. */
      persisted: boolean;
      /** Not written now, queued for replay when Redis returns (honoured locally meanwhile). */
      queued: boolean;
    }
  | { revoked: false; reason: 'expired'; id: string };

export type RevokeAllResult =
  | {
      revoked: true;
      userId: string;
      /** The cut-off now in force (can be later than requested if a later one already existed). */
      cutoff: Date;
      expiresAt: Date;
      persisted: boolean;
      queued: boolean;
    }
  | { revoked: false; reason: 'expired'; userId: string };

export interface CheckResult {
  revoked: boolean;
  /** `'token'`: this token was revoked; `'user'`: issued before the user's cut-off. */
  reason: 'token' | 'user' | undefined;
  /**
   * `'local'`: a revocation known in this process; `'mirror'`: the in-sync mirror says no;
   * `'redis'`: asked Redis; `'fallback'`: Redis failed, answered from local knowledge (`onRedisError: 'local'`).
   */
  source: 'local' | 'mirror' | 'redis' | 'fallback';
}

export interface TokenBlacklistStats {
  revocations: number;
  userRevocations: number;
  checks: number;
  revokedAnswers: number;
  localAnswers: number;
  mirrorAnswers: number;
  redisAnswers: number;
  fallbacks: number;
  unavailable: number;
  queued: number;
  replayed: number;
  dropped: number;
  resyncs: number;
  reseeds: number;
  /** Gauges. */
  pending: number;
  localEntries: number;
  inSync: boolean;
}

export interface TokenBlacklistEvents {
  /** The mirror became (un)trustworthy. */
  sync: [inSync: boolean];
  /** Queued revocations were written to Redis. */
  replay: [info: { count: number }];
  /** A check was answered locally (or denied) because Redis failed. */
  fallback: [info: { error: unknown; policy: OnRedisError }];
  /** The replay queue was full: the revocation is honoured locally but will not reach Redis. */
  dropped: [info: { id: string }];
}
