import { redactSecrets } from '../redact.js';
import { type Logger, type RedisClient, silentLogger } from '../types.js';
import { DeadlineSweeper } from './deadline.js';
import type { UnavailableReason } from './errors.js';
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

/**
 * The outage half of a `RedisRuntime`: its state, the one warn/info pair per incident, the
 * `down`/`up` listeners, the probe that ends an outage and the watchdog that starts one on a hung
 * server. The guarded call (`run`) and the errors it maps live in runtime.ts; this is its base
 * class so the call path reads the outage state as a plain field.
 */
export abstract class RuntimeHealth {
  readonly client: RedisClient;
  readonly name: string;
  readonly commandTimeoutMs: number;
  protected logger: Logger;
  protected readonly sweeper = new DeadlineSweeper();
  protected readonly secrets: string[];
  private readonly listeners = { down: new Set<RuntimeListener>(), up: new Set<RuntimeListener>() };
  protected current: OutageInfo | undefined;
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

  protected constructor(client: RedisClient, options: RuntimeOptions) {
    this.client = client;
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

  /** Runs one call under the shared policy (runtime.ts); the watchdog's PING goes through it. */
  abstract run<T>(
    operation: string,
    call: () => Promise<T>,
    timeoutMs?: number,
    recover?: (error: unknown) => Promise<T> | undefined,
  ): Promise<T>;

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

  /** A call succeeded: the watchdog has nothing to check (the `succeeded` hook of every call). */
  protected readonly succeeded = (): void => {
    this.okSinceWatch = true;
  };

  protected start(reason: UnavailableReason, operation: string, error: unknown): void {
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
        this.succeeded,
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
