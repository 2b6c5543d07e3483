import type { RedisStatus, RedisStatusListener } from './connection-types.js';
import type { Logger } from './types.js';

/**
 * Holds the status, notifies listeners and writes exactly one log line per change (never one
 * per retry). Listener exceptions are logged, never rethrown into ioredis' event loop.
 */
export class StatusTracker {
  status: RedisStatus;
  lastError: Error | undefined;
  private readonly listeners = new Set<RedisStatusListener>();
  private readyOnce = false;

  constructor(
    initial: RedisStatus,
    private readonly logger: Logger,
    private readonly fields: Record<string, unknown>,
  ) {
    this.status = initial;
  }

  on(listener: RedisStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  off(listener: RedisStatusListener): void {
    this.listeners.delete(listener);
  }

  /** Moves to `next`; a no-op when already there or when closed (closed is final). */
  set(next: RedisStatus, error?: Error): void {
    const previous = this.status;
    if (previous === next || previous === 'closed' || previous === 'disabled') return;
    this.status = next;
    if (next === 'ready') this.lastError = undefined;
    else if (error) this.lastError = error;
    this.log(next, previous, error ?? this.lastError);
    for (const listener of [...this.listeners]) {
      try {
        const cause =
          next === 'reconnecting' || next === 'down' ? (error ?? this.lastError) : undefined;
        listener(next, previous, cause);
      } catch (listenerError) {
        this.logger.error(
          { ...this.fields, err: messageOf(listenerError) },
          'redis status listener threw',
        );
      }
    }
  }

  private log(next: RedisStatus, previous: RedisStatus, error: Error | undefined): void {
    const fields = { ...this.fields, status: next, previous };
    const withError = error ? { ...fields, err: messageOf(error) } : fields; // already redacted by the caller
    switch (next) {
      case 'ready':
        if (this.readyOnce) this.logger.debug(fields, 'redis ready');
        else this.logger.info(fields, 'redis ready');
        this.readyOnce = true;
        break;
      // The runtime writes the one warn line per outage; status changes within it are detail.
      case 'reconnecting':
        this.logger.debug(withError, 'redis connection lost, reconnecting');
        break;
      case 'down':
        this.logger.debug(withError, 'redis down, retrying in the background');
        break;
      case 'closed':
        this.logger.info(fields, 'redis connection closed');
        break;
      default:
        this.logger.debug(fields, `redis ${next}`);
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const FATAL_ERROR =
  /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username-password|ERR AUTH|DB index is out of range/i;

/** Errors that retrying will not fix (credentials, a database the server does not have): straight to `down`. */
export function isFatalError(error: Error): boolean {
  if (FATAL_ERROR.test(error.message)) return true;
  const last = (error as { lastNodeError?: unknown }).lastNodeError;
  return last instanceof Error && FATAL_ERROR.test(last.message);
}

/** Rewrites errors whose cause is a setting so the message names it (`REDIS_DB`). */
export function explainFatal(error: Error, config: { db?: number; mode: string }): Error {
  if (!/DB index is out of range/i.test(error.message)) return error;
  const named = new Error(
    `REDIS_DB=${config.db ?? '?'} is out of range for this server (${error.message}); use a database the server has (redis.conf \`databases\`, 16 by default)`,
  );
  named.name = error.name;
  return named;
}
