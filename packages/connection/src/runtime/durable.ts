import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../types.js';
import { RedisUnavailableError } from './errors.js';
import { keyPrefixOf } from './keys.js';
import type { RedisRuntime } from './runtime.js';

/** How security-critical writes (revocations, logouts, cut-offs, logins) are made durable. */
export interface DurabilityOptions {
  /**
   * Replicas that must hold the write before it counts as done (`WAIT`). `'auto'` (default): 1
   * where the master has (or recently had) replicas, 0 on a server without any. 0 turns it off.
   */
  replicas?: 'auto' | number;
  /** How long `WAIT` may block, in ms. Default 500. */
  waitTimeoutMs?: number;
}

/** After this long with no replica attached, 'auto' stops waiting for one (the topology lost it). */
const REPLICA_GONE_MS = 30_000;
const INFO_TTL_MS = 1_000;

interface ReplicaKnowledge {
  seen: number;
  checkedAt: number;
  zeroSince: number | undefined;
}

const clients = new WeakMap<RedisRuntime, { client: RedisClient; replicas: ReplicaKnowledge }>();

/**
 * The connection durable writes use: a duplicate of the runtime's client, because `WAIT` blocks
 * the connection it is sent on, and a stalled replica must not stall every other command.
 */
function durableSide(runtime: RedisRuntime): { client: RedisClient; replicas: ReplicaKnowledge } {
  let side = clients.get(runtime);
  if (!side) {
    const client = (runtime.client as Redis).duplicate() as RedisClient;
    client.on('error', () => {
      // reported through the commands sent on it
    });
    runtime.client.once('end', () => client.disconnect());
    side = { client, replicas: { seen: 0, checkedAt: 0, zeroSince: undefined } };
    clients.set(runtime, side);
  }
  return side;
}

function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * Runs `write` and counts it as done only when a replica has it where replicas exist: `WAIT n`
 * on the same connection after the write. On a short acknowledgement (a failover under way, the
 * write reached a master that is being demoted) a Sentinel client is sent back to the sentinels
 * for the current master and the call rejects with `RedisUnavailableError` (reason
 * `durability`), so the caller falls back to its outbox or answers 503 — never "done" for a write
 * that a failover can still erase. `write` must be idempotent: the caller may retry it.
 */
export async function durableWrite<T>(
  runtime: RedisRuntime,
  operation: string,
  routingKey: string,
  write: (client: RedisClient) => Promise<T>,
  options: DurabilityOptions = {},
): Promise<T> {
  const wanted = options.replicas ?? 'auto';
  if (wanted === 0) return runtime.run(operation, () => write(runtime.client));
  const side = durableSide(runtime);
  const waitMs = options.waitTimeoutMs ?? 500;
  return runtime.run(
    operation,
    async () => {
      const result = await write(side.client);
      const { node, replicas } = await target(side, routingKey);
      const needed = wanted === 'auto' ? Math.min(1, replicas) : wanted;
      if (needed === 0) return result;
      const acked = Number(await node.call('WAIT', needed, waitMs));
      if (acked >= needed) return result;
      sendBackToSentinels(side.client);
      sendBackToSentinels(runtime.client);
      throw new RedisUnavailableError(
        `${runtime.name}: ${operation} reached the master but ${acked} of ${needed} replica(s) confirmed it within ${waitMs} ms (failover under way?)`,
        { reason: 'durability', redis: runtime.name },
      );
    },
    runtime.commandTimeoutMs + waitMs,
  );
}

/** The node that took the write and how many replicas it should have. */
async function target(
  side: { client: RedisClient; replicas: ReplicaKnowledge },
  routingKey: string,
): Promise<{ node: Redis; replicas: number }> {
  const { client } = side;
  if (isCluster(client)) {
    const slot = calculateSlot(keyPrefixOf(client) + routingKey);
    const owners = (client as unknown as { slots: string[][] }).slots[slot] ?? [];
    const masterKey = owners[0];
    const node = client
      .nodes('master')
      .find((n) => `${n.options.host}:${n.options.port}` === masterKey);
    if (!node) throw new Error(`no master known for slot ${slot}`);
    return { node, replicas: Math.max(0, owners.length - 1) };
  }
  return { node: client as Redis, replicas: await replicasOf(client as Redis, side.replicas) };
}

/** Replicas a master has, learned from INFO replication (cached 1 s) and remembered across a failover. */
async function replicasOf(node: Redis, known: ReplicaKnowledge): Promise<number> {
  const now = Date.now();
  if (now - known.checkedAt >= INFO_TTL_MS) {
    const info = String(await node.info('replication'));
    const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    known.checkedAt = now;
    if (connected > 0) {
      known.seen = Math.max(known.seen, connected);
      known.zeroSince = undefined;
    } else if (known.seen > 0) {
      known.zeroSince ??= now;
      // A replica that has been gone this long is not coming back by itself: stop waiting for it.
      if (now - known.zeroSince > REPLICA_GONE_MS) known.seen = 0;
    }
  }
  return known.seen;
}

function sendBackToSentinels(client: RedisClient): void {
  const options = client.options as { sentinels?: unknown[] };
  if (Array.isArray(options.sentinels) && options.sentinels.length > 0) {
    (client as Redis).disconnect(true);
  }
}
