import { redactSecrets } from '../redact.js';
import { type Logger, type RedisClient, silentLogger } from '../types.js';
import { isAvailabilityError, isReadonly } from './classify.js';
import { WriteCoalescer } from './coalesce.js';
import { Deadline, DeadlineSweeper } from './deadline.js';
import { RedisUnavailableError, type UnavailableReason } from './errors.js';
import { logSafeError } from './log-safe.js';
import { mastersOf } from './scan.js';

export interface RuntimeOptions {
  /** Name in log lines and errors. Default: the client's `connectionName`, else `redis`. */
  name?: string;
  /** Gets one warn line when an outage starts and one info line when it ends; per-call detail at debug. */
  logger?: Logger;
  /** Deadline of one call, in ms. Default 500. */
  commandTimeoutMs?: number;
  /** While no call has succeeded for this long, a PING checks the server is not hung. 0 = off. Default 1000. */
  watchdogIntervalMs?: number;
  /** Extra strings to mask in every message (the client's own passwords are found by themselves). */
  secrets?: readonly string[];
}

export interface OutageInfo {
  /** When the outage started (epoch ms). */
  since: number;
  reason: UnavailableReason;
  /** Redacted description of what failed first. */
  message: string;
  /**
   * True when this outage started within 30 s of the last one's end (a failover flapping): the
   * same incident, which the runtime does not log again. Listeners that log should skip these.
   */
  repeat?: boolean;
}

export type RuntimeEvent = 'down' | 'up';
export type RuntimeListener = (info: OutageInfo, durationMs?: number) => void;

const DEFAULT_TIMEOUT_MS = 500;
const PROBE_MIN_MS = 100;
/** An outage starting this soon after the last one ended is the same incident (a failover flapping): logged at debug. */
const FLAP_WINDOW_MS = 30_000;
const PROBE_MAX_MS = 2000;

const runtimes = new WeakMap<RedisClient, RedisRuntime>();

interface CallHooks {
  timedOut(operation: string, ms: number): Error;
  failed(operation: string, error: unknown): unknown;
  succeeded(): void;
}

/** One guarded call in the sweeper: the sweep rejects it with the runtime's timeout error. */
class GuardedCall extends Deadline {
  /**
   * Dropped once a reply settles the call (`release`): the lane keeps a settled entry until its
   * next pass, and through `reject` it would keep the caller's promise and its reply alive until
   * then, long enough to survive young-generation collections.
   */
  private reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly hooks: CallHooks,
    private readonly operation: string,
    private readonly ms: number,
    reject: (error: unknown) => void,
  ) {
    super();
    this.reject = reject;
  }

  expire(): void {
    this.reject?.(this.hooks.timedOut(this.operation, this.ms));
  }

  release(): void {
    this.reject = undefined;
  }
}

/**
 * The shared health of one ioredis client, and the only way the toolkit sends commands to it.
 * Every package on the same client shares this one object (`RedisRuntime.for(client)`), so when
 * one package sees a timeout or a connection error, every package answers from its policy at once
 * without touching Redis, until a single probe (PING on every master, backing off 100 ms → 2 s)
 * succeeds. A hung server therefore costs one command deadline per connection, not one per call.
 */
export class RedisRuntime {
  readonly client: RedisClient;
  readonly name: string;
  readonly commandTimeoutMs: number;
  private logger: Logger;
  private readonly sweeper = new DeadlineSweeper();
  private readonly writes: WriteCoalescer;
  private readonly secrets: string[];
  private readonly listeners = { down: new Set<RuntimeListener>(), up: new Set<RuntimeListener>() };
  private current: OutageInfo | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay = PROBE_MIN_MS;
  private nextProbeAt = 0;
  private probing = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** A call succeeded since the watchdog last looked (a flag: cheaper than a clock read per reply). */
  private okSinceWatch = false;
  private ended = false;
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  /** Outages folded into the current incident (logged once). */
  private flaps = 0;
  private incidentSince = 0;

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
    this.client = client;
    this.writes = new WriteCoalescer(client);
    const connectionName = (client.options as { connectionName?: string }).connectionName;
    this.name = options.name ?? connectionName ?? 'redis';
    this.logger = options.logger ?? silentLogger;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.secrets = [...(options.secrets ?? []), ...clientSecrets(client)];
    client.on('close', this.onClose);
    client.on('end', this.onEnd);
    client.on('ready', this.onReady);
    const interval = options.watchdogIntervalMs ?? 1000;
    if (interval > 0) {
      this.watchdog = setInterval(() => this.watch(), interval);
      this.watchdog.unref?.();
    }
    if (client.status === 'end') this.shutdown();
    const sentinel = client.options as { sentinels?: unknown[]; failoverDetector?: boolean };
    if (Array.isArray(sentinel.sentinels) && sentinel.failoverDetector !== true) {
      this.logger.warn(
        { redis: this.name },
        'this Sentinel client runs without failoverDetector: after a failover it keeps writing to the demoted master for seconds and those writes are lost; create it with createRedis or set failoverDetector: true',
      );
    }
  }

  /** False during an outage: callers answer from their policy without sending anything. */
  get available(): boolean {
    return this.current === undefined;
  }

  /** The running outage, or `undefined` while Redis is usable. */
  get outage(): OutageInfo | undefined {
    return this.current;
  }

  /** `down` when an outage starts, `up` (with its duration in ms) when it ends. Returns an unsubscribe function. */
  on(event: RuntimeEvent, listener: RuntimeListener): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
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
    this.writes.hold();
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

  /** Redacts the client's secrets (and the configured ones) from a text. */
  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /**
   * Seconds a client should wait before retrying (`Retry-After`): until the next probe, at least 1.
   * The one rule every middleware uses for its 503.
   */
  retryAfterSeconds(): number {
    if (this.current === undefined) return 1;
    return Math.max(1, Math.ceil((this.nextProbeAt - Date.now()) / 1000));
  }

  /** Number of calls waiting for an answer. */
  get inFlight(): number {
    return this.sweeper.size;
  }

  /** What a guarded call needs from its runtime, built once (not a closure per call). */
  private readonly hooks: CallHooks = {
    timedOut: (operation, ms) => this.timeout(operation, ms),
    failed: (operation, error) => this.failure(operation, error),
    succeeded: () => {
      this.okSinceWatch = true;
    },
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

  private start(reason: UnavailableReason, operation: string, error: unknown): void {
    if (this.current !== undefined || this.ended) return;
    const message = this.redact(logSafeError(error, this.secrets).message);
    const repeat = Date.now() - this.lastEndedAt < FLAP_WINDOW_MS;
    this.current = { since: Date.now(), reason, message, ...(repeat ? { repeat } : {}) };
    if (repeat) {
      this.flaps++;
      this.logger.debug(
        { redis: this.name, reason, operation, err: message },
        'redis outage again',
      );
    } else {
      this.flaps = 0;
      this.incidentSince = this.current.since;
      this.logger.warn(
        { redis: this.name, reason, operation, err: message },
        'redis outage started: answering from each package policy until a probe succeeds',
      );
    }
    this.emit('down', this.current);
    this.probeDelay = PROBE_MIN_MS;
    this.scheduleProbe();
  }

  private end(): void {
    const outage = this.current;
    if (!outage) return;
    this.current = undefined;
    this.okSinceWatch = true;
    const durationMs = Date.now() - outage.since;
    this.lastEndedAt = Date.now();
    if (this.flaps === 0) {
      this.logger.info({ redis: this.name, durationMs }, 'redis outage ended');
    } else {
      this.logger.debug(
        {
          redis: this.name,
          durationMs,
          outages: this.flaps + 1,
          sinceMs: Date.now() - this.incidentSince,
        },
        'redis outage ended (again)',
      );
    }
    this.emit('up', outage, durationMs);
  }

  private emit(event: RuntimeEvent, info: OutageInfo, durationMs?: number): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        listener(info, durationMs);
      } catch (error) {
        this.logger.error(
          { redis: this.name, err: logSafeError(error, this.secrets).message },
          `redis runtime ${event} listener threw`,
        );
      }
    }
  }

  private scheduleProbe(delay = this.probeDelay): void {
    if (this.ended || this.probeTimer !== undefined) return;
    const jitter = 0.8 + Math.random() * 0.4;
    this.nextProbeAt = Date.now() + delay * jitter;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, delay * jitter);
    this.probeTimer.unref?.();
  }

  /** The half-open step: one PING on every master, with the runtime's deadline. */
  private async probe(): Promise<void> {
    if (this.ended || this.current === undefined || this.probing) return;
    this.probing = true;
    try {
      if (this.client.status === 'ready' && (await this.pingMasters())) {
        this.end();
        return;
      }
    } finally {
      this.probing = false;
    }
    this.probeDelay = Math.min(this.probeDelay * 2, PROBE_MAX_MS);
    this.scheduleProbe();
  }

  private async pingMasters(): Promise<boolean> {
    try {
      const nodes = mastersOf(this.client);
      if (nodes.length === 0) return false;
      await this.sweeper.race(
        Promise.all(nodes.map((node) => node.ping())),
        this.commandTimeoutMs,
        () => new Error('probe timed out'),
        (error) => error,
        this.hooks.succeeded,
      );
      return true;
    } catch (error) {
      this.logger.debug(
        { redis: this.name, err: logSafeError(error, this.secrets).message },
        'redis probe failed',
      );
      return false;
    }
  }

  private watch(): void {
    if (this.current !== undefined || this.ended) return;
    if (this.okSinceWatch) {
      this.okSinceWatch = false;
      return;
    }
    if (this.client.status !== 'ready') return;
    void this.run('watchdog ping', () => this.client.ping()).catch(() => {
      // the outage (if any) has started; the probe takes over
    });
  }

  private readonly onClose = (): void => {
    // quit()/disconnect() by the app is not an outage
    if ((this.client as unknown as { manuallyClosing?: boolean }).manuallyClosing === true) return;
    this.start('error', 'connection', new Error('connection to redis closed'));
  };

  private readonly onReady = (): void => {
    if (this.current === undefined) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.probeDelay = PROBE_MIN_MS;
    void this.probe();
  };

  private readonly onEnd = (): void => {
    this.shutdown();
  };

  /** The client is closed for good: every later call is refused, nothing is logged (it is not an outage). */
  shutdown(): void {
    if (this.ended) return;
    this.current ??= { since: Date.now(), reason: 'outage', message: 'the redis client is closed' };
    this.ended = true;
    clearTimeout(this.probeTimer);
    clearInterval(this.watchdog);
    this.client.off('close', this.onClose);
    this.client.off('ready', this.onReady);
    this.client.off('end', this.onEnd);
  }
}

function clientSecrets(client: RedisClient): string[] {
  const options = client.options as {
    password?: string;
    sentinelPassword?: string;
    redisOptions?: { password?: string };
  };
  return [options.password, options.sentinelPassword, options.redisOptions?.password].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}
