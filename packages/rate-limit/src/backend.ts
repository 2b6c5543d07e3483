/** A decision before it is dressed with limit, source and absolute times. */
export interface RawDecision {
  allowed: boolean;
  used: number;
  /** ms until the fixed window resets / the oldest sliding entry leaves. */
  resetInMs: number;
  /** 0 when allowed. */
  retryAfterMs: number;
}

/** One algorithm on one storage (Redis or process memory). Keys are already full Redis keys. */
export interface Backend {
  consume(key: string, cost: number): Promise<RawDecision>;
  /** What a cost-1 consume would see, without counting. */
  peek(key: string): Promise<RawDecision>;
  refund(key: string, cost: number): Promise<void>;
  reset(key: string): Promise<void>;
}
