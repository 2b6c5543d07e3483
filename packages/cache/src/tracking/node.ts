import { randomUUID } from 'node:crypto';
import { backoffDelay, type Logger, logSafeError } from '@redis-toolkit/connection';
import type { Redis } from 'ioredis';
import { closeSubscriber } from '../bus/bus.js';

export const INVALIDATE_CHANNEL = '__redis__:invalidate';

/** What a node reports to its owner. */
export interface NodeEvents {
  /** Invalidated Redis keys (full, with the ioredis keyPrefix); `null`: everything (FLUSHALL/FLUSHDB). */
  keys(keys: string[] | null): void;
  /**
   * The node's tracking is now on (true; again each time it is enabled with a new prefix set,
   * see `applied`) or can no longer be trusted (false).
   */
  state(tracking: boolean): void;
  /** The server refuses tracking for good (renamed/denied CLIENT, server < 6.2, a proxy). */
  refused(reason: string): void;
}

/** A reply error that says the server will never accept tracking, as opposed to a connection problem. */
function refusal(error: unknown): string | undefined {
  const message = logSafeError(error).message;
  if (
    /unknown command|unknown subcommand|NOPERM|no permissions|EXECABORT|syntax error|wrong number of arguments|not allowed|unsupported/i.test(
      message,
    )
  ) {
    return message;
  }
  return undefined;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * One Redis server of the client: its data connection (the one that serves the cache's reads,
 * owned by the app) and a subscriber of our own on `__redis__:invalidate` on the same server.
 * Tracking is per connection and points at the subscriber's client id, so it is (re)enabled
 * whenever either connection (re)connects; until then the node reports `state(false)`.
 */
export class TrackedNode {
  private readonly subscriber: Redis;
  private readonly name = `rtk:invalidate:${randomUUID()}`;
  private subscriberId: number | undefined;
  private tracking = false;
  /** The prefixes tracking was last enabled with (what the server invalidates while active). */
  private appliedPrefixes: readonly string[] = [];
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly offData: () => void;
  private readonly timeoutMs: number;

  constructor(
    readonly data: Redis,
    private prefixes: readonly string[],
    private readonly events: NodeEvents,
    private readonly logger: Logger,
    timeoutMs: number,
  ) {
    // set-up commands are off the request path: bound the wait, but not as tightly as a read
    this.timeoutMs = Math.max(2000, timeoutMs * 4);
    // own connection: never the app's offline queue, never resubscribed behind our back (the
    // client id must be read before SUBSCRIBE on every connection)
    this.subscriber = data.duplicate({
      // RESP2 on this connection (ioredis 6 defaults to RESP3, where Redis sends invalidations to
      // the redirect target as `invalidate` push frames instead of `__redis__:invalidate`
      // messages); ioredis 5 ignores the option
      ...({ protocol: 2 } as object),
      connectionName: this.name,
      lazyConnect: false,
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      // a Cluster's node connections never reconnect (the Cluster replaces them); ours must
      retryStrategy: (times: number) => backoffDelay(times, { baseMs: 100, maxMs: 2000 }),
    });
    const sub = this.subscriber;
    sub.on('error', (error: unknown) => {
      this.logger.debug(
        { err: logSafeError(error).message },
        'cache: invalidation subscriber error',
      );
    });
    sub.on('close', () => {
      this.subscriberId = undefined;
      this.lost();
    });
    sub.on('ready', () => this.schedule(0));
    sub.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (channel.toString() !== INVALIDATE_CHANNEL) return;
      if (message === null || message === undefined) this.events.keys(null);
      else if (Array.isArray(message)) this.events.keys(message.map((k) => String(k)));
      else this.events.keys([String(message)]);
    });
    const onClose = (): void => this.lost();
    const onReady = (): void => this.schedule(0);
    data.on('close', onClose);
    data.on('ready', onReady);
    this.offData = () => {
      data.off('close', onClose);
      data.off('ready', onReady);
    };
    if (sub.status === 'ready') this.schedule(0);
  }

  get active(): boolean {
    return this.tracking;
  }

  get applied(): readonly string[] {
    return this.appliedPrefixes;
  }

  /** New prefix set (another cache joined the client): tracking is enabled again with it. */
  setPrefixes(prefixes: readonly string[]): void {
    this.prefixes = prefixes;
    this.schedule(0);
  }

  private lost(): void {
    if (!this.tracking) return;
    this.tracking = false;
    this.events.state(false);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.establish();
    }, delayMs);
    this.retry.unref?.();
  }

  private establish(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.attemptOnce()
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    return this.running;
  }

  private async attemptOnce(): Promise<void> {
    const sub = this.subscriber;
    const data = this.data;
    // a Cluster creates node connections lazily: one that never served a command is still 'wait'
    if (data.status === 'wait') data.connect().catch(() => undefined);
    if (this.closed || sub.status !== 'ready' || data.status !== 'ready') return;
    if (this.subscriberId === undefined) {
      try {
        const id = Number(await within(sub.client('ID'), this.timeoutMs, 'CLIENT ID'));
        await within(sub.subscribe(INVALIDATE_CHANNEL), this.timeoutMs, 'SUBSCRIBE');
        this.subscriberId = id;
      } catch (error) {
        // half done (e.g. SUBSCRIBE sent, its reply late): the connection may now be in subscriber
        // mode, where CLIENT ID is refused; start over on a fresh connection
        if (refusal(error) === undefined) sub.disconnect(true);
        throw error;
      }
    }
    const id = this.subscriberId;
    const prefixes = this.prefixes;
    const prefixArgs = prefixes.flatMap((p) => ['PREFIX', p]);
    // one transaction on the data connection: the id must name OUR subscriber on THIS server
    // (ids are small integers and repeat across servers, e.g. mid-failover), and re-enabling
    // needs OFF first (the same prefix twice is refused as an overlap)
    const replies = await within(
      data
        .multi()
        .client('LIST', 'ID', String(id))
        .client('TRACKING', 'OFF')
        .client('TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...prefixArgs, 'NOLOOP')
        .exec(),
      this.timeoutMs,
      'CLIENT TRACKING',
    );
    for (const [error] of replies ?? []) if (error) throw error;
    const list = String(replies?.[0]?.[1] ?? '');
    if (!list.includes(`name=${this.name}`)) {
      await data.client('TRACKING', 'OFF').catch(() => undefined);
      throw new Error('the invalidation subscriber is connected to another server');
    }
    if (this.closed || this.subscriberId !== id || sub.status !== 'ready') {
      // the subscriber went away while we enabled: its id is dead, try again on its next ready
      return;
    }
    this.attempt = 0;
    this.appliedPrefixes = prefixes;
    this.tracking = true;
    // also when already tracking: caches whose prefix this enabling added are now covered
    this.events.state(true);
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    const refused = refusal(error);
    if (refused !== undefined) {
      this.events.refused(refused);
      return;
    }
    this.lost();
    this.attempt++;
    const delay = backoffDelay(this.attempt, { baseMs: 100, maxMs: 2000 });
    this.logger.debug(
      { err: logSafeError(error).message, retryInMs: delay },
      'cache: could not enable invalidation tracking yet',
    );
    this.schedule(delay);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.offData();
    const sub = this.subscriber;
    if (this.tracking && this.data.status === 'ready') {
      await within(this.data.client('TRACKING', 'OFF'), 1000, 'CLIENT TRACKING OFF').catch(
        () => undefined,
      );
    }
    this.tracking = false;
    await closeSubscriber(sub);
  }
}
