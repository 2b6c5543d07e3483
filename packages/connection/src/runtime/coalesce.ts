import type { Writable } from 'node:stream';
import type { RedisClient } from '../types.js';

/**
 * Commands sent in one tick leave in one socket write. ioredis writes every command at once, so
 * each one costs a `write` syscall, and on loopback a syscall also runs the receiving side's TCP
 * work: a profile of the reference app put 42 µs of CPU on each of a request's three commands.
 * While a command is being sent, the first call of the tick corks the socket and a `nextTick`
 * uncorks it, so every command issued until then (the rest of the tick and its microtasks: the
 * next batch of a concurrent workload, a limiter and a session load started together) goes out
 * in one `writev`. node-redis batches the same way. A lone command pays one `nextTick` of delay
 * and no extra syscall.
 *
 * Standalone and Sentinel clients only: a Cluster client's commands go to the sockets of its
 * node clients, which are chosen per key inside ioredis.
 */
export class WriteCoalescer {
  private corked: Writable | undefined;

  constructor(private readonly client: RedisClient) {}

  /** Called before a command is handed to ioredis. */
  hold(): void {
    if (this.corked !== undefined) return;
    const client = this.client as { stream?: Writable; status: string };
    // not while connecting: the handshake (AUTH, SELECT, ready check) must not wait on a tick
    if (client.status !== 'ready') return;
    const stream = client.stream;
    if (stream === undefined || stream.writableCorked > 0 || !stream.writable) return;
    stream.cork();
    this.corked = stream;
    process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  };
}
