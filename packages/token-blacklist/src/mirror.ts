import { randomUUID } from 'node:crypto';
import type { Logger, RedisClient } from '@redis-toolkit/connection';

/** What the mirror needs from the blacklist that owns it. */
export interface MirrorHost {
  readonly channel: string;
  readonly logger: Logger;
  readonly commandTimeoutMs: number;
  /** Applies one message received on the channel (revocations; pings are handled here). */
  apply(message: string): void;
  /** Publishes on the channel through the main client. */
  publish(message: string): Promise<void>;
  /** Loads every live revocation from Redis into the local store. */
  loadSnapshot(): Promise<void>;
  /** False when the local store is over its bound: the mirror cannot be complete. */
  canHoldMore(): boolean;
  onSyncChange(inSync: boolean): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Keeps the local store equal to Redis' set of live revocations, and knows whether it is.
 *
 * In sync means: the subscription is confirmed, one of our own heartbeats travelled
 * publish → Redis → our subscriber AFTER it was confirmed, a full snapshot was loaded after
 * that, and a heartbeat has come back within `staleAfterMs` since. Any subscriber
 * close/reconnect, a stale heartbeat, or store overflow drops the flag; a resync (subscribe,
 * heartbeat, snapshot) must complete before it is set again. Because revocations only ever
 * grow, messages that arrive during the snapshot are merged safely in any order.
 */
export class Mirror {
  private readonly sub: RedisClient;
  private readonly nonce = randomUUID();
  private synced = false;
  private generation = 0;
  private resyncing = false;
  private closed = false;
  private lastPongMs = 0;
  private pongWaiters = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | undefined;
  resyncs = 0;

  constructor(
    redis: RedisClient,
    private readonly host: MirrorHost,
    heartbeatMs: number,
    private readonly staleAfterMs: number,
  ) {
    // Subscriber connection: its own client, failing fast instead of queueing forever.
    this.sub = redis.duplicate();
    this.sub.on('message', this.onMessage);
    this.sub.on('close', this.onDisconnect);
    this.sub.on('reconnecting', this.onDisconnect);
    this.sub.on('end', this.onDisconnect);
    this.sub.on('ready', this.onReady);
    this.sub.on('error', (error: unknown) => {
      this.host.logger.debug({ err: error }, 'token-blacklist: subscriber error');
    });
    this.timer = setInterval(this.tick, heartbeatMs);
    this.timer.unref();
    void this.resync();
  }

  /** True while checks may be answered from the local store alone. */
  inSync(nowMs = Date.now()): boolean {
    return this.synced && nowMs - this.lastPongMs <= this.staleAfterMs;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.setSynced(false);
    this.sub.removeAllListeners('message');
    try {
      await withTimeout(this.sub.quit(), 1000, 'subscriber quit');
    } catch {
      this.sub.disconnect();
    }
  }

  private setSynced(value: boolean): void {
    if (this.synced === value) return;
    this.synced = value;
    this.host.onSyncChange(value);
  }

  /** Drops trust at once (e.g. the store overflowed) and resyncs when possible. */
  invalidate(reason: string): void {
    if (this.synced) this.host.logger.warn({ reason }, 'token-blacklist: mirror out of sync');
    this.generation++;
    this.resyncing = false;
    this.setSynced(false);
  }

  private readonly onMessage = (_channel: string, message: string): void => {
    if (message.startsWith('{"k":"p"')) {
      if (message === this.pingMessage()) {
        this.lastPongMs = Date.now();
        for (const wake of this.pongWaiters) wake();
        this.pongWaiters.clear();
      }
      return;
    }
    this.host.apply(message);
  };

  private readonly onDisconnect = (): void => {
    if (this.closed) return;
    this.invalidate('subscriber disconnected');
  };

  private readonly onReady = (): void => {
    if (!this.closed) void this.resync();
  };

  private readonly tick = (): void => {
    if (this.closed) return;
    this.host.publish(this.pingMessage()).catch(() => {});
    if (this.synced && Date.now() - this.lastPongMs > this.staleAfterMs) {
      this.invalidate('heartbeat not received');
    }
    if (!this.synced && !this.resyncing) void this.resync();
  };

  private pingMessage(): string {
    return `{"k":"p","n":"${this.nonce}"}`;
  }

  private waitForPong(sinceMs: number): Promise<void> {
    if (this.lastPongMs >= sinceMs) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => {
        this.pongWaiters.add(resolve);
      }),
      Math.max(this.host.commandTimeoutMs * 4, 2000),
      'mirror heartbeat',
    );
  }

  private async resync(): Promise<void> {
    if (this.closed || this.resyncing) return;
    if (this.sub.status !== 'ready' && this.sub.status !== 'wait') return; // onReady will call again
    if (!this.host.canHoldMore()) return;
    this.resyncing = true;
    const generation = ++this.generation;
    this.setSynced(false);
    try {
      await withTimeout(
        this.sub.subscribe(this.host.channel),
        Math.max(this.host.commandTimeoutMs * 4, 2000),
        'subscribe',
      );
      const sentAt = Date.now();
      await this.host.publish(this.pingMessage());
      await this.waitForPong(sentAt);
      await this.host.loadSnapshot();
      if (generation !== this.generation || this.closed) return;
      if (!this.host.canHoldMore()) return;
      this.resyncs++;
      this.setSynced(true);
      this.host.logger.info({ resyncs: this.resyncs }, 'token-blacklist: mirror in sync');
    } catch (error) {
      if (generation === this.generation && !this.closed) {
        this.host.logger.debug({ err: error }, 'token-blacklist: mirror resync failed; will retry');
      }
    } finally {
      if (generation === this.generation) this.resyncing = false;
    }
  }
}
