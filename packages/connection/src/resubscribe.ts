import { isCluster } from './client-kind.js';
import type { RedisClient } from './types.js';

const SUBSCRIBE_COMMANDS = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
const observed = new WeakSet<object>();
const ignore = (): void => {};

type Subscribe = (...args: unknown[]) => Promise<unknown>;

/**
 * After a reconnect ioredis re-subscribes a subscriber connection by itself (`autoResubscribe`)
 * and drops the promise of that SUBSCRIBE: when the connection closes before the reply (shut down
 * right after Redis came back, a server that dies again), its "Connection is closed." rejection
 * is unhandled — a crash under `--unhandled-rejections=throw`, a failed file under Vitest. This
 * observes every SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE promise of `client`; a caller awaiting one
 * still gets its rejection. A Cluster re-subscribes through connections of its own and observes
 * them itself, so it is returned untouched. Idempotent.
 */
export function observeResubscribes<T extends RedisClient>(client: T): T {
  if (isCluster(client) || observed.has(client)) return client;
  observed.add(client);
  const methods = client as unknown as Record<(typeof SUBSCRIBE_COMMANDS)[number], Subscribe>;
  for (const name of SUBSCRIBE_COMMANDS) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      const reply = original.apply(this, args);
      reply.catch(ignore);
      return reply;
    };
  }
  return client;
}
