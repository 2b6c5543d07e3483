import { type RedisClient, silentLogger } from '../types.js';
import { isAvailabilityError, isReadonly } from './classify.js';
import { WriteCoalescer } from './coalesce.js';
import { RedisUnavailableError } from './errors.js';
import { type CallHooks, GuardedCall } from './guarded-call.js';
import { logSafeError } from './log-safe.js';
import { type OutageInfo, RuntimeHealth, type RuntimeOptions } from './outage.js';

export type { OutageInfo, RuntimeEvent, RuntimeListener, RuntimeOptions } from './outage.js';

const runtimes = new WeakMap<RedisClient, RedisRuntime>();

/**
 * The shared health of one ioredis client, and the only way the toolkit sends commands to it.
 * Every package on the same client shares this one object (`RedisRuntime.for(client)`), so when
 * one package sees a timeout or a connection error, every package answers from its policy at once
 * without touching Redis, until a single probe (PING on every master, backing off 100 ms → 2 s)
 * succeeds. A hung server therefore costs one command deadline per connection, not one per call.
 *
 * The outage state, its logging, the probe and the watchdog are in outage.ts (`RuntimeHealth`).
 */
export class RedisRuntime extends RuntimeHealth {
  private readonly writes: WriteCoalescer;

  /** The runtime of `client`, created on first use; later options only fill what is unset (logger). */
  static for(client: RedisClient, options: RuntimeOptions = {}): RedisRuntime {
    let runtime = runtimes.get(client);
    if (!runtime) {
      runtime = new RedisRuntime(client, options);
      runtimes.set(client, runtime);
    } else if (options.logger && runtime.logger === silentLogger) {
      runtime.logger = options.logger;
    }
    return runtime;
  }

  private constructor(client: RedisClient, options: RuntimeOptions) {
    super(client, options);
    this.writes = new WriteCoalescer(client);
  }

  /**
   * Runs one call under the shared policy: refused at once during an outage, bounded by a
   * deadline (`timeoutMs`, default the runtime's), and any availability failure starts the outage
   * for every package on this client. Rejects with `RedisUnavailableError` for those; other errors
   * (WRONGTYPE, a script error) pass through unchanged and leave the health alone. `recover` may
   * answer the first error with a second attempt under the same deadline (EVALSHA → EVAL on
   * NOSCRIPT) instead of a `.catch` layer on every call.
   */
  run<T>(
    operation: string,
    call: () => Promise<T>,
    timeoutMs = this.commandTimeoutMs,
    recover?: (error: unknown) => Promise<T> | undefined,
  ): Promise<T> {
    if (this.current !== undefined) return Promise.reject(this.refusal(operation));
    let pending: Promise<T>;
    this.writes.hold(this.sweeper.size);
    try {
      pending = call();
    } catch (error) {
      return Promise.reject(this.failure(operation, error));
    }
    // The hot path: one promise and one deadline entry per call, no timer (the sweeper's interval
    // serves every call) and no closure beyond the executor and the two reply handlers.
    const sweeper = this.sweeper;
    const hooks = this.hooks;
    return new Promise<T>((resolve, reject) => {
      const guard = new GuardedCall(hooks, operation, timeoutMs, reject);
      sweeper.add(guard, timeoutMs);
      const onValue = (value: T): void => {
        if (!guard.settle()) return;
        guard.release();
        sweeper.done();
        hooks.succeeded();
        resolve(value);
      };
      const onError = (error: unknown): void => {
        if (guard.settled) return;
        const retry = recover?.(error);
        if (retry !== undefined) {
          recover = undefined;
          retry.then(onValue, onError);
          return;
        }
        guard.settle();
        guard.release();
        sweeper.done();
        reject(hooks.failed(operation, error));
      };
      pending.then(onValue, onError);
    });
  }

  /**
   * A caller saw Redis fail outside `run` (a subscriber connection, a pipeline of its own):
   * starts the outage when the error is about availability.
   */
  report(operation: string, error: unknown): void {
    if (isAvailabilityError(error)) this.start('error', operation, error);
  }

  private readyQueue: (() => void)[] | undefined;

  /**
   * Runs `fn` once the client is ready: now if it is, else on its next `ready`. However many wait
   * (a limiter per route, a cache per domain), the client gets one listener, so an app with a
   * dozen limiters on one client does not trip Node's 10-listener warning. Never connects a
   * `lazyConnect` client.
   */
  whenReady(fn: () => void): void {
    if (this.client.status === 'ready') {
      fn();
      return;
    }
    let queue = this.readyQueue;
    if (!queue) {
      const waiting: (() => void)[] = [];
      queue = waiting;
      this.readyQueue = waiting;
      this.client.once('ready', () => {
        this.readyQueue = undefined;
        for (const run of waiting) run();
      });
    }
    queue.push(fn);
  }

  /** Number of calls waiting for an answer. */
  get inFlight(): number {
    return this.sweeper.size;
  }

  /** What a guarded call needs from its runtime, built once (not a closure per call). */
  private readonly hooks: CallHooks = {
    timedOut: (operation, ms) => this.timeout(operation, ms),
    failed: (operation, error) => this.failure(operation, error),
    succeeded: this.succeeded,
  };

  private refusal(operation: string): RedisUnavailableError {
    const outage = this.current as OutageInfo;
    return new RedisUnavailableError(
      `${this.name}: redis unavailable since ${new Date(outage.since).toISOString()} (${outage.message}); ${operation} not sent`,
      { reason: 'outage', redis: this.name },
    );
  }

  private timeout(operation: string, ms: number): RedisUnavailableError {
    const error = new RedisUnavailableError(
      `${this.name}: redis did not answer ${operation} within ${ms} ms`,
      { reason: 'timeout', redis: this.name },
    );
    this.start('timeout', operation, error);
    return error;
  }

  private failure(operation: string, error: unknown): unknown {
    if (error instanceof RedisUnavailableError) {
      // A short WAIT says a replica lags or a failover is under way, not that this connection is
      // bad: the write is refused, but other packages keep using the master.
      if (error.reason !== 'durability') this.start(error.reason, operation, error);
      return error;
    }
    if (!isAvailabilityError(error)) return error;
    if (isReadonly(error)) this.reresolve();
    const safe = logSafeError(error, this.secrets);
    const wrapped = new RedisUnavailableError(
      `${this.name}: ${operation} failed: ${safe.message}`,
      {
        reason: 'error',
        redis: this.name,
        cause: error,
      },
    );
    this.start('error', operation, wrapped);
    return wrapped;
  }

  /** A Sentinel-managed client that answers READONLY talks to a demoted master: reconnect through the sentinels. */
  private reresolve(): void {
    const options = this.client.options as { sentinels?: unknown[] };
    if (Array.isArray(options.sentinels) && options.sentinels.length > 0) {
      (this.client as { disconnect(reconnect?: boolean): void }).disconnect(true);
    }
  }
}
