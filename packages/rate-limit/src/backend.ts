/** A decision before it is dressed with limit, source and absolute times. */
export interface RawDecision {
  allowed: boolean;
  used: number;
  /** ms until the fixed window resets / the oldest sliding entry leaves. */
  resetInMs: number;
  /** 0 when allowed. */
  retryAfterMs: number;
}

/** The decisions a Redis backend can send as one script call and decode separately. */
export type DecisionKind = 'consume' | 'hit' | 'peek';

/**
 * The hot path of a Redis backend: `send` is the script call alone and `decode` turns its reply
 * into a decision, so the limiter finishes a decision in one `.then` (one promise layer less
 * than a method answering the decoded decision, as `Backend`'s do). `arg` is the cost for
 * `consume`, 1/0 (count refusals) for `hit`.
 */
export interface RedisDecisions {
  send(kind: DecisionKind, key: string, arg: number): Promise<unknown>;
  decode(kind: DecisionKind, reply: unknown): RawDecision;
}

/** The writes of one algorithm on one storage (Redis or process memory), decisions aside. */
export interface BackendWrites {
  refund(key: string, cost: number): Promise<void>;
  reset(key: string): Promise<void>;
  /** express-rate-limit's `decrement`: undoes one hit (a refused one first). */
  unhit(key: string): Promise<void>;
}

/**
 * One algorithm on one storage with its decisions as promises (process memory; Redis backends
 * decide through `RedisDecisions`). Keys are already full Redis keys.
 */
export interface Backend extends BackendWrites {
  consume(key: string, cost: number): Promise<RawDecision>;
  /** What a cost-1 consume would see, without counting. */
  peek(key: string): Promise<RawDecision>;
  /**
   * express-rate-limit's `increment`: one hit that counts even when refused (`used` includes it),
   * so that a later `unhit` for it never frees an admitted unit. `countRefused` is false when no
   * decrement can follow a refusal (sliding window only: it then records nothing for it).
   */
  hit(key: string, countRefused: boolean): Promise<RawDecision>;
}

/** The sibling key holding a sliding-window key's refused hits (same hash tag, same slot). */
export const refusedKey = (key: string): string => `${key}:refused`;
