import {
  isCluster,
  keyPrefixOf,
  quitOrDisconnect,
  type RedisClient,
  type RedisRuntime,
} from '@redis-toolkit/connection';

/**
 * BullMQ's connection rules, applied for the caller: it refuses ioredis `keyPrefix` (so the
 * client's keyPrefix moves into BullMQ's own prefix), workers need `maxRetriesPerRequest: null`
 * on a connection of their own (BullMQ duplicates it again for its blocking BZPOPMIN), and on a
 * Cluster every key of a queue must share a slot, so the prefix becomes one hash tag.
 */
export interface Plumbing {
  runtime: RedisRuntime;
  cluster: boolean;
  /** BullMQ `prefix`: `<keyPrefix><prefix>jobs`, or `{<keyPrefix><prefix>jobs}` on a Cluster. */
  bullPrefix: string;
  /** The copy every producer (Queue) of one `createQueues` shares, opened on first use. */
  readonly producer: RedisClient;
  /** Closes the producer copy if it was opened. */
  closeProducer(): Promise<void>;
  /** A new client for one worker, owned (and closed) by it. */
  workerConnection(): WorkerConnection;
}

/**
 * A worker's client and every client BullMQ duplicates from it (its blocking BZPOPMIN one).
 * BullMQ closes its duplicate with QUIT, which never answers while Redis is hung or gone, and
 * keeps no handle a caller could cut: the worker's `close()` needs the clients themselves to
 * keep its deadline.
 */
export interface WorkerConnection {
  client: RedisClient;
  /** Drops every connection at once (no QUIT): pending commands fail, reconnects stop. */
  disconnectAll(): void;
}

function tracked(client: RedisClient): WorkerConnection {
  const copies = new Set<RedisClient>();
  type Duplicate = (...args: unknown[]) => RedisClient;
  const duplicate = (client.duplicate as Duplicate).bind(client);
  // only on this copy, which the worker owns; BullMQ calls `duplicate` on it for its blocking client
  (client as unknown as { duplicate: Duplicate }).duplicate = (...args) => {
    const dup = duplicate(...args);
    copies.add(dup);
    return dup;
  };
  return {
    client,
    disconnectAll() {
      for (const c of [client, ...copies]) c.disconnect();
    },
  };
}

function copy(client: RedisClient, blocking: boolean): RedisClient {
  let dup: RedisClient;
  // A worker blocks on its connection for seconds at a time (BZPOPMIN on the marker): an ioredis
  // `commandTimeout` (createRedis sets one) would fail every wait and the worker would never pick
  // up a delayed job. Deadlines of producer calls come from the runtime, not from ioredis.
  if (isCluster(client)) {
    const redisOptions = { ...(client.options.redisOptions ?? {}), keyPrefix: '' };
    if (blocking) {
      redisOptions.maxRetriesPerRequest = null;
      redisOptions.commandTimeout = undefined;
    }
    dup = client.duplicate(undefined, { keyPrefix: '', redisOptions });
  } else {
    dup = client.duplicate({
      keyPrefix: '',
      ...(blocking ? { maxRetriesPerRequest: null, commandTimeout: undefined } : {}),
    });
  }
  // failures surface through commands and the shared runtime; an unhandled 'error' would crash
  dup.on('error', () => {});
  return dup;
}

export function plumbingFor(runtime: RedisRuntime, namespace: string): Plumbing {
  const client = runtime.client;
  const cluster = isCluster(client);
  // `namespace` is `{prefix}jobs:`; BullMQ adds its own ':' after the prefix.
  const base = `${keyPrefixOf(client)}${namespace.slice(0, -1)}`;
  // a worker-only process never opens it
  let producer: RedisClient | undefined;
  return {
    runtime,
    cluster,
    bullPrefix: cluster ? `{${base}}` : base,
    get producer() {
      producer ??= copy(client, false);
      return producer;
    },
    closeProducer: () => (producer ? closeClient(producer) : Promise.resolve()),
    workerConnection: () => tracked(copy(client, true)),
  };
}

/** QUIT, then disconnect if the server does not answer. */
export function closeClient(client: RedisClient, timeoutMs = 2000): Promise<void> {
  return quitOrDisconnect(client, timeoutMs);
}
