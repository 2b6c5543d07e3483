import type {
  DurabilityOptions,
  Duration,
  Outbox,
  SharedOptions,
  ToolkitCounters,
} from '@redis-toolkit/connection';

/**
 * What a check does when Redis cannot answer and the mirror is not known to be in sync:
 * `'memory'` answers from this instance's memory (its own revocations, the mirror's last
 * contents and the outbox); `'deny'` throws `BlacklistUnavailableError` (HTTP 503).
 */
export type BlacklistPolicy = 'memory' | 'deny';

export interface MirrorOptions {
  /** How often each instance publishes a heartbeat on the channel and expects to hear it back. Default `'1s'`. */
  heartbeat?: Duration;
  /** The mirror stops answering when its own heartbeat has not come back for this long. Default 3 × heartbeat. */
  staleAfter?: Duration;
}

export interface TokenBlacklistOptions extends SharedOptions<BlacklistPolicy> {
  /** Clock skew your verifier tolerates; revocations are kept this much longer than `exp`. Default `'30s'`. */
  clockTolerance?: Duration;
  /** Longest lifetime of any token you issue, refresh tokens included: how long a user cut-off is kept. Default `'24h'`. */
  maxTokenLifetime?: Duration;
  /** Keep a local mirror of every live revocation, fed by pub/sub, and answer checks from it while in sync. Default false. */
  mirror?: boolean | MirrorOptions;
  /** Longer token strings are rejected with `TokenInputError('token_too_large')`. Default 8192 characters. */
  maxTokenLength?: number;
  /**
   * Durable storage for revocations accepted while Redis is unavailable (or a write no replica
   * confirmed), e.g. `createFileOutbox({ directory })`. Shared by every instance, any of which
   * replays it. Without one, such a revocation rejects with `BlacklistUnavailableError`.
   */
  outbox?: Outbox;
  /** How often the outbox is checked for entries left by other instances while Redis is up. Default `'5s'`. */
  replayInterval?: Duration;
  /** How revocations are made durable (`WAIT` for a replica where there are replicas). */
  durability?: DurabilityOptions;
  /** Let `assertCanIssue()` pass while revocation state is unknown (outage, mirror out of sync). Default false. */
  issueDuringOutage?: boolean;
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
      /** Written to Redis (and, where replicas exist, to a replica) now. */
      persisted: boolean;
      /** Not (durably) written now: appended to the outbox, replayed when Redis is back. */
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
   * `'local'`: known in this process (or memory-only mode); `'mirror'`: the in-sync mirror says
   * no; `'redis'`: asked Redis; `'fallback'`: Redis unavailable, answered from memory (`'memory'`).
   */
  source: 'local' | 'mirror' | 'redis' | 'fallback';
}

/** Shared counters (`revocation`, `hit` = revoked found, `miss`, `error`, `fallback`…) plus this package's gauges. */
export interface TokenBlacklistStats extends ToolkitCounters {
  /** Revocations held in memory (own, learned, mirrored). */
  localEntries: number;
  inSync: boolean;
  resyncs: number;
  /** Outbox entries written to Redis by this instance (its own or other instances'). */
  replayed: number;
  /** Revocations written back after Redis came back empty (epoch changed). */
  reseeds: number;
  /** Checks that had to ask Redis (not answered from memory or the mirror). */
  redisChecks: number;
  redis: 'up' | 'down' | 'absent';
}
