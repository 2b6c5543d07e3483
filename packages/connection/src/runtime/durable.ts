import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { isCluster } from '../client-kind.js';
import { DURATION_FORM, type Duration, durationToMs } from '../duration.js';
import type { RedisClient } from '../types.js';
import { RedisUnavailableError } from './errors.js';
import { keyPrefixOf } from './keys.js';
import { refuseUnknownOptions } from './options.js';
import type { RedisRuntime } from './runtime.js';

/** How security-critical writes (revocations, logouts, cut-offs, logins) are made durable. */
export interface DurabilityOptions {
  /**
   * Replicas that must hold the write before it counts as done (`WAIT`). `'auto'` (default): 1
   * where the master has (or recently had) replicas, 0 on a server without any. 0 turns it off.
   */
  replicas?: 'auto' | number;
  /** How long `WAIT` may block. Default `'500ms'`. */
  waitTimeout?: Duration;
  /** After this long with no replica attached, `'auto'` stops waiting for one (the topology lost it). Default `'10s'`. */
  replicaGoneAfter?: Duration;
}

/** Validated durability settings, in ms. */
export interface ResolvedDurability {
  replicas: 'auto' | number;
  waitTimeoutMs: number;
  replicaGoneAfterMs: number;
}

/**
 * Validates a package's `durability` option once for every package: unknown fields refused,
 * durations with units, `replicas` 'auto' or a whole number.
 */
export function resolveDurability(
  input: DurabilityOptions | undefined,
  makeError: (field: string, message: string) => Error,
  defaults: { replicas: 'auto' | number } = { replicas: 'auto' },
): ResolvedDurability {
  const value = (input ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) {
    throw makeError('durability', 'durability must be an object like { replicas: "auto" }');
  }
  refuseUnknownOptions(
    value,
    ['replicas', 'waitTimeout', 'replicaGoneAfter'],
    makeError,
    'durability',
  );
  const replicas = value.replicas ?? defaults.replicas;
  if (replicas !== 'auto' && !(Number.isInteger(replicas) && (replicas as number) >= 0)) {
    throw makeError(
      'durability.replicas',
      "durability.replicas must be 'auto' or a whole number ≥ 0",
    );
  }
  const ms = (field: 'waitTimeout' | 'replicaGoneAfter', fallback: number): number => {
    if (value[field] === undefined) return fallback;
    const parsed = durationToMs(value[field]);
    if (parsed === undefined || parsed <= 0) {
      throw makeError(`durability.${field}`, `durability.${field} must be ${DURATION_FORM}`);
    }
    return parsed;
  };
  return {
    replicas: replicas as 'auto' | number,
    waitTimeoutMs: ms('waitTimeout', 500),
    replicaGoneAfterMs: ms('replicaGoneAfter', 10_000),
  };
}

const INFO_TTL_MS = 1_000;
/** Re-resolving the master (a reconnect through the sentinels) at most this often. */
const RERESOLVE_EVERY_MS = 2_000;

interface ReplicaKnowledge {
  seen: number;
  checkedAt: number;
  zeroSince: number | undefined;
  reresolvedAt: number;
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
    side = { client, replicas: { seen: 0, checkedAt: 0, zeroSince: undefined, reresolvedAt: 0 } };
    clients.set(runtime, side);
  }
  return side;
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
  options: DurabilityOptions | ResolvedDurability = {},
): Promise<T> {
  const resolved =
    'waitTimeoutMs' in options ? options : resolveDurability(options, (_f, m) => new TypeError(m));
  const wanted = resolved.replicas;
  if (wanted === 0) return runtime.run(operation, () => write(runtime.client));
  const side = durableSide(runtime);
  const waitMs = resolved.waitTimeoutMs;
  return runtime.run(
    operation,
    async () => {
      let result: T;
      try {
        result = await write(side.client);
      } catch (error) {
        // this connection reached a demoted master: ask the sentinels again before the next write
        if (error instanceof Error && error.message.startsWith('READONLY')) {
          sendBackToSentinels(side.client);
        }
        throw error;
      }
      const { node, replicas } = await target(side, routingKey, resolved.replicaGoneAfterMs);
      const needed = wanted === 'auto' ? Math.min(1, replicas) : wanted;
      if (needed === 0) return result;
      const acked = Number(await node.call('WAIT', needed, waitMs));
      if (acked >= needed) return result;
      // Only the durable connection is sent back to the sentinels (at most every 2 s): the main
      // one learns of the failover by itself (failoverDetector, READONLY), without an outage.
      if (Date.now() - side.replicas.reresolvedAt > RERESOLVE_EVERY_MS) {
        side.replicas.reresolvedAt = Date.now();
        sendBackToSentinels(side.client);
      }
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
  goneAfterMs: number,
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
  return {
    node: client as Redis,
    replicas: await replicasOf(client as Redis, side.replicas, goneAfterMs),
  };
}

/** Replicas a master has, learned from INFO replication (cached 1 s) and remembered across a failover. */
async function replicasOf(
  node: Redis,
  known: ReplicaKnowledge,
  goneAfterMs: number,
): Promise<number> {
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
      if (now - known.zeroSince > goneAfterMs) known.seen = 0;
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
