import { randomUUID } from 'node:crypto';
import {
  type Logger,
  logSafeError,
  observeResubscribes,
  quitOrDisconnect,
  type RedisClient,
} from '@redis-toolkit/connection';
import type { Telemetry } from '../stats/stats.js';
import type { MemoryTier } from '../tiers/memory.js';
import type { RedisTier } from '../tiers/redis.js';
import { Waiters } from './waiters.js';

export interface BusMessage {
  /** sender instance id */
  i: string;
  /** sent at (ms since epoch, sub-ms precision) */
  s: number;
  y: 'set' | 'del' | 'tags' | 'pattern' | 'unlock';
  k?: string[];
  g?: string[];
  a?: number;
  p?: string;
}

/** Longest time an invalidation waits to share one PUBLISH with others. */
const BATCH_MS = 2;
const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * Pub/sub between instances: invalidations drop other instances' memory copies, and `unlock`
 * wakes lock waiters. Subscribed on a duplicate connection (a subscriber can send nothing else).
 */
export class Bus {
  readonly instanceId = randomUUID();
  /** Tag → last invalidation time; only trusted while the subscriber is connected. */
  readonly tagTimes = new Map<string, number>();
  readonly waiters = new Waiters();
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<boolean> | undefined;
  private connected = false;
  private readyCount = 0;
  private outbox: Omit<BusMessage, 'i'>[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisTier | undefined,
    readonly channel: string,
    /** Subscribe and apply messages to memory (memory tier present and bus on). */
    readonly listening: boolean,
    /** Publish invalidations (also without memory, so other instances drop theirs). */
    private readonly publishing: boolean,
    private readonly memory: MemoryTier,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
    private readonly subscribeTimeoutMs: number,
  ) {}

  /** True while subscribed: tag times from the bus may replace reads of tag keys. */
  get trusted(): boolean {
    return this.listening && this.connected;
  }

  /** Subscribes (once; retried on the next call after a failure); resolves true when subscribed. */
  ensureSubscriber(): Promise<boolean> {
    if (this.subscribed) return this.subscribed;
    const redis = this.redis;
    if (!redis) return Promise.resolve(false);
    let sub = this.subscriber;
    if (!sub) {
      sub = observeResubscribes((redis.client as { duplicate(): RedisClient }).duplicate());
      this.subscriber = sub;
      sub.on('error', (error: unknown) => {
        this.logger.debug({ err: logSafeError(error).message }, 'cache: bus connection error');
      });
      sub.on('ready', () => {
        this.readyCount++;
        if (this.readyCount > 1) {
          // messages may have been missed while disconnected
          this.connected = true;
          if (this.listening) this.reset('bus reconnected');
        }
      });
      sub.on('end', () => {
        this.connected = false;
      });
      sub.on('close', () => {
        this.connected = false;
      });
      sub.on('message', (channel: string, message: string) => {
        if (channel === this.channel) this.onMessage(message);
      });
    }
    const client = sub;
    this.subscribed = subscribe(client, this.channel, this.subscribeTimeoutMs).then((ok) => {
      if (ok) this.connected = true;
      else this.subscribed = undefined;
      return ok;
    });
    return this.subscribed;
  }

  reset(reason: string): void {
    this.memory.clear();
    this.tagTimes.clear();
    // follows a reconnect (an outage, or the subscriber's own drop): detail, not an incident
    this.logger.debug({ reason }, 'cache: memory dropped');
    this.telemetry.detail('bus:reset', { reason });
  }

  /**
   * Queues an invalidation. Batched for up to 2 ms into one PUBLISH (one PUBLISH per write would
   * halve write throughput); `immediate` sends at once.
   */
  publish(message: Omit<BusMessage, 'i' | 's'>, immediate = false): void {
    if (!this.publishing) return;
    if (immediate) {
      this.send([{ ...message, s: preciseNow() }]);
      return;
    }
    // stamped when queued, so the measured delay includes the batching wait
    this.outbox.push({ ...message, s: preciseNow() });
    if (this.outbox.length >= 200) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), BATCH_MS);
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length > 0) this.send(batch);
  }

  private send(batch: Omit<BusMessage, 'i'>[]): void {
    const body = JSON.stringify(batch.map((m) => ({ ...m, i: this.instanceId })));
    void this.redis?.run('publish', (c) => c.publish(this.channel, body));
  }

  private onMessage(raw: string): void {
    let batch: unknown;
    try {
      batch = JSON.parse(raw);
    } catch {
      return;
    }
    if (!Array.isArray(batch)) return;
    for (const msg of batch as BusMessage[]) this.apply(msg);
  }

  private apply(msg: BusMessage): void {
    const keys = msg.k ?? [];
    for (const key of keys) this.waiters.wake(key);
    if (msg.i === this.instanceId) return;
    this.telemetry.counters.busReceived++;
    if (this.listening) {
      if (msg.y === 'set' || msg.y === 'del') for (const key of keys) this.memory.delete(key);
      else if (msg.y === 'tags' && msg.g) {
        this.noteTags(msg.g, msg.a ?? Date.now());
        this.memory.dropTags(msg.g);
      } else if (msg.y === 'pattern' && msg.p) this.memory.dropPattern(msg.p);
    }
    const delayMs = preciseNow() - msg.s;
    this.telemetry.detail('bus:received', { type: msg.y, keys, sentAt: msg.s, delayMs });
  }

  noteTags(tags: readonly string[], at: number): void {
    for (const tag of tags) this.tagTimes.set(tag, Math.max(at, this.tagTimes.get(tag) ?? 0));
  }

  async close(): Promise<void> {
    this.flush();
    this.waiters.wakeAll();
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (!sub) return;
    await closeSubscriber(sub);
  }
}

/** QUIT on one of our own subscriber connections, at most 1 s, then the connection is dropped. */
export function closeSubscriber(sub: RedisClient): Promise<void> {
  return quitOrDisconnect(sub, 1000);
}

/**
 * SUBSCRIBE on the bus's own connection once it is ready, bounded. Not through the runtime: this
 * connection's start-up (or a client without an offline queue answering "not connected yet")
 * says nothing about the health of the client every other call uses.
 */
async function subscribe(
  client: RedisClient,
  channel: string,
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref?.();
  });
  const attempt = (async (): Promise<boolean> => {
    if (client.status !== 'ready') {
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    }
    await client.subscribe(channel);
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
