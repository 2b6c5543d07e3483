import type { RedisClient } from '@redis-toolkit/connection';
import { SessionStoreUnavailableError } from './errors.js';

const DOWN_STATUSES = new Set(['end', 'close', 'reconnecting', 'disconnecting']);
// Replies that mean "the server is there but cannot serve right now" (vs. a bug or bad data).
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY|READONLY)/;

export interface GuardEvents {
  down(error: SessionStoreUnavailableError): void;
  up(): void;
}

/**
 * Bounds every Redis call: fails fast while the client is not connected, times out a call that
 * does not answer (a paused server), and after a failure stays open for `cooldownMs` so a dead
 * server does not pile up pending commands (one probe per cooldown goes through).
 */
export class RedisGuard {
  private openUntil = 0;
  private down = false;

  constructor(
    private readonly client: RedisClient,
    private readonly timeoutMs: number,
    private readonly cooldownMs: number,
    private readonly events: GuardEvents,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  /** Runs one Redis call under the policy. Hot path: one timer and one promise per call. */
  run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (Date.now() < this.openUntil) {
      return Promise.reject(
        this.fail(
          new SessionStoreUnavailableError(`redis unavailable (circuit open): ${what}`),
          false,
        ),
      );
    }
    const status = this.client.status;
    if (DOWN_STATUSES.has(status)) {
      return Promise.reject(
        this.fail(new SessionStoreUnavailableError(`redis is ${status}: ${what}`), false),
      );
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          this.fail(
            new SessionStoreUnavailableError(
              `redis did not answer within ${this.timeoutMs} ms: ${what}`,
            ),
          ),
        );
      }, this.timeoutMs);
      const onError = (error: unknown): void => {
        if (settled) return; // already answered as a timeout
        settled = true;
        clearTimeout(timer);
        reject(this.classify(what, error));
      };
      let call: Promise<T>;
      try {
        call = fn();
      } catch (error) {
        onError(error);
        return;
      }
      call.then((result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.down) {
          this.down = false;
          this.events.up();
        }
        resolve(result);
      }, onError);
    });
  }

  /** A reply error that is not about availability passes through; anything else opens the circuit. */
  private classify(what: string, error: unknown): unknown {
    if (error instanceof SessionStoreUnavailableError) return this.fail(error);
    if (isReplyError(error) && !UNAVAILABLE_REPLY.test(error.message)) return error;
    return this.fail(
      new SessionStoreUnavailableError(
        `redis error: ${what}: ${(error as Error)?.message ?? error}`,
        { cause: error },
      ),
    );
  }

  private fail(error: SessionStoreUnavailableError, open = true): SessionStoreUnavailableError {
    if (open) this.openUntil = Date.now() + this.cooldownMs;
    if (!this.down) {
      this.down = true;
      this.events.down(error);
    }
    return error;
  }
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}
