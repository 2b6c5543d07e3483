/** One write accepted while Redis was unavailable, waiting to be replayed. */
export interface OutboxEntry<T = unknown> {
  /** Unique and stable: replaying the same entry twice must be harmless (writes are idempotent). */
  id: string;
  /** What it is (`revoke`, `revokeAll`, `job`…); the owner decides how to replay it. */
  kind: string;
  payload: T;
  /** Epoch ms it was accepted. */
  createdAt: number;
}

/**
 * Durable storage for writes accepted during an outage. `append` must be durable before it
 * resolves (the caller reports success right after), and every instance that shares the outbox
 * (a database table, a shared directory) may replay any entry: replays are idempotent, so two
 * instances replaying the same entry is safe. The toolkit ships `createFileOutbox`; the
 * reference app implements one on its PostgreSQL database.
 */
export interface Outbox<T = unknown> {
  append(entry: OutboxEntry<T>): Promise<void>;
  /** Up to `limit` entries, oldest first. */
  list(limit: number): Promise<OutboxEntry<T>[]>;
  /** Removes replayed entries; unknown ids are ignored. */
  remove(ids: readonly string[]): Promise<void>;
  /** Entries waiting. */
  size(): Promise<number>;
}
