/** The Redis key layout, under the package namespace `{prefix}blacklist:`. */
export interface Keys {
  /** One token's revocation, hash-tagged per token. `id` is already key-safe (see claims.ts). */
  token(id: string): string;
  /** One user's cut-off, hash-tagged per user. */
  user(userId: string): string;
  /** Sorted sets of live ids (score = expiry for tokens, cut-off for users), read by mirror snapshots. */
  index(kind: 't' | 'u'): string;
  /** Random id, no TTL; changes only when Redis lost its data. */
  readonly epoch: string;
  /** Pub/sub channel of revocations and heartbeats. */
  readonly channel: string;
}

export function keysFor(namespace: string): Keys {
  return {
    token: (id) => `${namespace}t:{${id}}`,
    user: (userId) => `${namespace}u:{${userId}}`,
    index: (kind) => `${namespace}index:${kind}`,
    epoch: `${namespace}epoch`,
    channel: `${namespace}events`,
  };
}

/** One revocation as written to Redis, published, and kept in the outbox. */
export type Entry =
  | { kind: 't'; id: string; value: number; expMs: number }
  | { kind: 'u'; id: string; value: number; expMs: number };

export function entryMessage(entry: Entry): string {
  return entry.kind === 't'
    ? JSON.stringify({ k: 't', i: entry.id, v: entry.value })
    : JSON.stringify({ k: 'u', i: entry.id, v: entry.value, e: entry.expMs });
}

const ID = /^[jts][:#][^{}\s]{1,2000}$/u;

/** Validates an entry read back from an outbox (a file another process wrote: untrusted). */
export function toEntry(payload: unknown): Entry | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  if (p.kind !== 't' && p.kind !== 'u') return undefined;
  if (typeof p.id !== 'string' || !ID.test(p.id)) return undefined;
  if (typeof p.value !== 'number' || !Number.isFinite(p.value)) return undefined;
  if (typeof p.expMs !== 'number' || !Number.isFinite(p.expMs)) return undefined;
  return { kind: p.kind, id: p.id, value: p.value, expMs: p.expMs };
}
