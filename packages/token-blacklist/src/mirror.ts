import { randomUUID } from 'node:crypto';
import {
  type Logger,
  logSafeError,
  observeResubscribes,
  type RedisClient,
  type RedisRuntime,
} from '@redis-toolkit/connection';

/** What the mirror needs from the blacklist that owns it. */
export interface MirrorHost {
  readonly runtime: RedisRuntime;
  readonly channel: string;
  readonly logger: Logger;
  /** Applies one message received on the channel (revocations; heartbeats are handled here). */
  apply(message: string): void;
  /** Loads every live revocation from Redis into the local store. */
  loadSnapshot(): Promise<void>;
  /** False when the local store is over its bound: the mirror cannot be complete. */
  canHoldMore(): boolean;
  onSyncChange(inSync: boolean): void;
}

/**
 * Keeps the local store equal to Redis' set of live revocations, and knows whether it is.
 *
 * In sync means: the subscription is confirmed, one of our own heartbeats travelled
 * publish → Redis → our subscriber AFTER it was confirmed, a full snapshot was loaded after
 * that, and a heartbeat has come back within `staleAfterMs` since. Any subscriber
 * close/reconnect, a runtime outage, a stale heartbeat, or store overflow drops the flag; a
 * resync must complete before it is set again. Because revocations only ever grow, messages that
 * arrive during the snapshot are merged safely in any order.
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
  private readonly offDown: () => void;
  private readonly offUp: () => void;
  /** One subscriber error line per episode: ioredis repeats its error on every reconnect attempt. */
  private errorLogged = false;
  resyncs = 0;

  constructor(
    private readonly host: MirrorHost,
    private readonly heartbeatMs: number,
    private readonly staleAfterMs: number,
  ) {
    const runtime = host.runtime;
    this.sub = observeResubscribes((runtime.client as { duplicate(): RedisClient }).duplicate());
    this.sub.on('message', this.onMessage);
    this.sub.on('close', this.onDisconnect);
    this.sub.on('reconnecting', this.onDisconnect);
    this.sub.on('end', this.onDisconnect);
    this.sub.on('ready', this.onReady);
    this.sub.on('error', this.onError);
    this.offDown = runtime.on('down', () => this.invalidate());
    this.offUp = runtime.on('up', () => void this.resync());
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
    this.offDown();
    this.offUp();
    this.setSynced(false);
    this.sub.removeAllListeners('message');
    // quit can hang on a hung server; the subscriber holds nothing worth a graceful close
    this.sub.disconnect();
  }

  private setSynced(value: boolean): void {
    if (this.synced === value) return;
    this.synced = value;
    if (value) this.errorLogged = false;
    this.host.onSyncChange(value);
  }

  /** Drops trust at once and resyncs when possible. `reason` is logged only for causes the runtime does not report itself. */
  invalidate(reason?: string): void {
    if (this.synced && reason) {
      this.host.logger.warn({ reason }, 'token-blacklist: mirror out of sync');
    }
    this.generation++;
    this.resyncing = false;
    this.setSynced(false);
  }

  private readonly onError = (error: unknown): void => {
    // During a runtime outage the runtime has already logged it; err.command.args (the password
    // of an AUTH) never reaches a log line: only the redacted name/message/code.
    if (this.errorLogged || !this.host.runtime.available) return;
    this.errorLogged = true;
    const safe = logSafeError(error);
    this.host.logger.debug(
      { err: { ...safe, message: this.host.runtime.redact(safe.message) } },
      'token-blacklist: mirror subscriber error',
    );
  };

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
    if (!this.closed) this.invalidate();
  };

  private readonly onReady = (): void => {
    if (!this.closed) void this.resync();
  };

  private publishPing(): Promise<unknown> {
    const { runtime, channel } = this.host;
    return runtime.run('publish heartbeat', () =>
      runtime.client.publish(channel, this.pingMessage()),
    );
  }

  private readonly tick = (): void => {
    if (this.closed || !this.host.runtime.available) return;
    this.publishPing().catch(() => {});
    if (this.synced && Date.now() - this.lastPongMs > this.staleAfterMs) {
      this.invalidate('heartbeat not received');
    }
    if (!this.synced && !this.resyncing) void this.resync();
  };

  private pingMessage(): string {
    return `{"k":"p","n":"${this.nonce}"}`;
  }

  /** Waits for our own heartbeat (a message, not a command: no command deadline applies). */
  private waitForPong(sinceMs: number): Promise<void> {
    if (this.lastPongMs >= sinceMs) return Promise.resolve();
    const limitMs = Math.max(this.staleAfterMs, this.heartbeatMs * 3, 2000);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pongWaiters.delete(wake);
        reject(new Error(`mirror heartbeat not received within ${limitMs} ms`));
      }, limitMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.pongWaiters.add(wake);
    });
  }

  private async resync(): Promise<void> {
    const { runtime } = this.host;
    if (this.closed || this.resyncing || !runtime.available) return;
    if (this.sub.status !== 'ready') return; // onReady calls again
    if (!this.host.canHoldMore()) return;
    this.resyncing = true;
    const generation = ++this.generation;
    this.setSynced(false);
    try {
      await runtime.run('subscribe', () => this.sub.subscribe(this.host.channel));
      const sentAt = Date.now();
      await this.publishPing();
      await this.waitForPong(sentAt);
      await this.host.loadSnapshot();
      if (generation !== this.generation || this.closed) return;
      if (!this.host.canHoldMore()) return;
      this.resyncs++;
      this.setSynced(true);
    } catch (error) {
      if (
        generation === this.generation &&
        !this.closed &&
        runtime.available &&
        !this.errorLogged
      ) {
        this.errorLogged = true;
        this.host.logger.debug(
          { err: runtime.redact(logSafeError(error).message) },
          'token-blacklist: mirror resync failed; will retry',
        );
      }
    } finally {
      if (generation === this.generation) this.resyncing = false;
    }
  }
}
