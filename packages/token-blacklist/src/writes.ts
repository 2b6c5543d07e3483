import { randomUUID } from 'node:crypto';
import {
  durableWrite,
  logSafeError,
  type RedisRuntime,
  runScript,
} from '@redis-toolkit/connection';
import type { Core } from './core.js';
import { type Entry, entryMessage } from './keys.js';
import { evalOn, SET_MAX } from './lua.js';

/**
 * Writes one entry: key (max semantics) and index, then publishes — after the write, so a mirror
 * resync cannot miss it. `durable`: through `durableWrite` (WAIT for a replica where replicas
 * exist); a short ack rejects with RedisUnavailableError reason 'durability'. Idempotent.
 */
export async function writeEntry(
  core: Core,
  runtime: RedisRuntime,
  entry: Entry,
  durable: boolean,
): Promise<void> {
  const px = entry.expMs - Date.now();
  if (px <= 0) return;
  const { keys, o } = core;
  const key = entry.kind === 't' ? keys.token(entry.id) : keys.user(entry.id);
  const index = keys.index(entry.kind);
  const args = [String(entry.value), String(Math.max(1, Math.ceil(px)))];
  if (durable) {
    await durableWrite(
      runtime,
      entry.kind === 't' ? 'revoke' : 'revokeAllForUser',
      key,
      (client) =>
        Promise.all([
          evalOn(client, SET_MAX, [key], args),
          client.zadd(index, 'GT', entry.value, entry.id),
        ]),
      o.durability,
    );
  } else {
    await Promise.all([
      runScript(runtime, SET_MAX, [key], args, o.commandTimeoutMs),
      runtime.run(
        'zadd',
        () => runtime.client.zadd(index, 'GT', entry.value, entry.id),
        o.commandTimeoutMs,
      ),
    ]);
  }
  await runtime.run(
    'publish',
    () => runtime.client.publish(keys.channel, entryMessage(entry)),
    o.commandTimeoutMs,
  );
  if (++core.counters.writes % 64 === 0) pruneIndex(core, runtime);
}

function pruneIndex(core: Core, runtime: RedisRuntime): void {
  const now = Date.now();
  const { keys, o } = core;
  runtime
    .run('prune index', () =>
      Promise.all([
        runtime.client.zremrangebyscore(keys.index('t'), '-inf', `(${now}`),
        runtime.client.zremrangebyscore(
          keys.index('u'),
          '-inf',
          `(${now - o.maxLifeMs - o.toleranceMs}`,
        ),
      ]),
    )
    .catch(() => {
      // best effort: the next prune (64 writes later) retries
    });
}

/**
 * Detects an emptied server (restart without persistence) through the epoch marker, and writes
 * back every live revocation this process knows. `state.epoch` moves only once the write-back is
 * complete, so a write-back cut short by another outage is retried.
 */
export async function checkEpoch(core: Core, runtime: RedisRuntime, state: { epoch?: string }) {
  const { client } = runtime;
  const key = core.keys.epoch;
  await runtime.run('epoch', () => client.set(key, randomUUID(), 'NX'));
  const epoch = (await runtime.run('epoch', () => client.get(key))) ?? undefined;
  if (state.epoch !== undefined && epoch !== state.epoch) await reseed(core, runtime);
  state.epoch = epoch;
}

async function reseed(core: Core, runtime: RedisRuntime): Promise<void> {
  const now = Date.now();
  let count = 0;
  for (const e of core.store.entries(now)) {
    const entry: Entry =
      e.kind === 't'
        ? { kind: 't', id: e.id, value: e.expMs, expMs: e.expMs }
        : { kind: 'u', id: e.id, value: e.cutoffMs, expMs: e.expMs };
    await writeEntry(core, runtime, entry, false);
    count++;
  }
  core.counters.reseeds += count;
  core.o.logger.warn(
    { count },
    'token-blacklist: Redis lost its data (epoch changed); wrote back the revocations known here',
  );
}

export function describeError(runtime: RedisRuntime | undefined, error: unknown): string {
  const message = logSafeError(error).message;
  return runtime ? runtime.redact(message) : message;
}
