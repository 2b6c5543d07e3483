import type {
  DurabilityOptions,
  Duration,
  SharedOptions,
  ToolkitCounters,
} from '@redis-toolkit/connection';

/** What a token may carry besides its subject: anything `JSON.stringify` round-trips. */
export type TokenData =
  | string
  | number
  | boolean
  | null
  | TokenData[]
  | { [key: string]: TokenData };

/** Tokens only go to Redis: during an outage they are refused (`E_TOKENS_UNAVAILABLE`). */
export type TokensPolicy = 'deny';

/** At most `max` tokens per subject (and purpose) within `per`. */
export interface IssueLimit {
  max: number;
  per: Duration;
}

export interface OneTimePurpose {
  /** How long a token of this purpose can be consumed. */
  ttl: Duration;
  /** Issuing a new token voids the older ones of the same subject (password reset). Default false. */
  single?: boolean;
  /** This purpose's own limit, or `false` for none. Default: the factory's `issueLimit`. */
  issueLimit?: IssueLimit | false;
}

export interface OneTimeTokensOptions<P extends string = string>
  extends SharedOptions<TokensPolicy> {
  /** Every purpose, by name (letters, digits, `-`, `_`; not `refresh`). */
  purposes: Record<P, OneTimePurpose>;
  /** Per-subject issuance limit of every purpose. Default `{ max: 5, per: '1h' }`; `false` for none. */
  issueLimit?: IssueLimit | false;
  /** How `revokeAll` is made durable (`WAIT` for a replica where there are replicas). */
  durability?: DurabilityOptions;
}

/** What `consume` and `verify` return for a live token. */
export interface TokenGrant {
  subject: string;
  data: TokenData | undefined;
}

/** Anything with a `canIssue()` — a `TokenBlacklist`. */
export interface IssuanceGate {
  canIssue(): boolean;
}

export interface RefreshTokensOptions extends SharedOptions<TokensPolicy> {
  /** Life of each refresh token, and of its family after the last rotation. Default `'30d'`. */
  ttl?: Duration;
  /** Refuse issue/rotate while `blacklist.canIssue()` is false (revocation state unknown). */
  blacklist?: IssuanceGate;
  /** Issue and rotate from this instance's memory during an outage instead of refusing. Default false. */
  issueDuringOutage?: boolean;
  /** How revocations are made durable. */
  durability?: DurabilityOptions;
}

export interface IssuedRefreshToken {
  token: string;
  /** One login: every token rotated from it shares this id. */
  familyId: string;
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  subject: string;
  data: TokenData | undefined;
}

export interface TokensStats extends ToolkitCounters {
  redis: 'up' | 'down' | 'absent';
  /** Entries held in memory (memory-only mode, or `issueDuringOutage`). */
  memoryEntries: number;
}
