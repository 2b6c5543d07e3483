import type { RedisConfig } from './config-types.js';
import type { RedisRuntime } from './runtime/runtime.js';
import type { Logger, RedisClient } from './types.js';

/**
 * - `connecting`: created, first connection attempt under way.
 * - `ready`: connected and the ready check passed; commands run.
 * - `reconnecting`: was ready, lost the connection, retrying (for less than `downAfter`).
 * - `down`: the first attempt failed, authentication failed, or reconnecting lasted longer
 *   than `downAfter`. Still retrying in the background.
 * - `closed`: `close()` was called. Final.
 * - `disabled`: the config says `enabled: false`; there is no client. Final.
 */
export type RedisStatus = 'connecting' | 'ready' | 'reconnecting' | 'down' | 'closed' | 'disabled';

export interface RedisHealth {
  /** True only when a PING answered within the timeout. */
  healthy: boolean;
  /** PING round trip (or time until giving up), in ms. 0 when no PING was sent. */
  latencyMs: number;
  status: RedisStatus;
  /** Why it is unhealthy (redacted). */
  error?: string;
}

/** `(status, previous, error?)`: `error` is the (redacted) cause for `reconnecting` and `down`. */
export type RedisStatusListener = (
  status: RedisStatus,
  previous: RedisStatus,
  error?: Error,
) => void;

export interface CreateRedisOptions {
  /** pino-compatible logger; one line per status change. Default: silent. */
  logger?: Logger;
  /** Connection name (CLIENT SETNAME) and `redis` field of log lines. Default `redis-toolkit`. */
  name?: string;
}

export interface RedisConnection {
  /** The ioredis client (`Redis` for standalone/Sentinel, `Cluster` for Cluster); `null` when disabled. */
  readonly client: RedisClient | null;
  readonly status: RedisStatus;
  /** The most recent connection error (redacted), cleared when ready again. */
  readonly lastError: Error | undefined;
  readonly name: string;
  /**
   * The shared health and command guard of `client` (`undefined` when disabled): every package
   * given this connection uses it, so an outage is detected once and answered by all at once.
   */
  readonly runtime: RedisRuntime | undefined;
  /** The validated configuration in use. */
  readonly config: RedisConfig;
  /** Subscribe to status changes; returns an unsubscribe function. Listener errors are logged, never thrown. */
  on(event: 'status', listener: RedisStatusListener): () => void;
  off(event: 'status', listener: RedisStatusListener): void;
  /** PING with a deadline: resolves within `timeoutMs` (default the `healthTimeout` setting) whatever the server does. Never rejects. */
  health(options?: { timeoutMs?: number }): Promise<RedisHealth>;
  /** A new client with the same settings (for SUBSCRIBE or blocking commands), closed by `close()`. */
  duplicate(): RedisClient;
  /** Resolves when `ready`; rejects after `timeoutMs` (default 10000), or at once when closed/disabled. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** QUIT (then disconnect after `timeoutMs`, default 2000) this client and its duplicates. Idempotent: later calls return the same promise. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}
