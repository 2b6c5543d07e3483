import type { Logger } from '../types.js';
import { silentLogger } from '../types.js';
import { logSafeError } from './log-safe.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { RedisRuntime } from './runtime.js';

export interface OutboxReplayOptions<T> {
  runtime: RedisRuntime;
  outbox: Outbox<T>;
  /** Writes the entries to Redis (idempotently); resolve only once they are done. */
  replay(entries: OutboxEntry<T>[]): Promise<void>;
  /** Also check the outbox this often, for entries other instances left (one that died). Default 5000 ms. */
  intervalMs?: number;
  batchSize?: number;
  logger?: Logger;
}

export interface OutboxReplayer {
  /** Replays now (no-op during an outage); resolves with the number of entries replayed. */
  drain(): Promise<number>;
  stop(): void;
}

/**
 * Drains an outbox into Redis when the runtime's outage ends, and every `intervalMs` while Redis is
 * up (so entries appended by an instance that died are replayed by any other). One drain at a time
 * per instance; several instances draining together is safe because replays are idempotent.
 */
export function startOutboxReplay<T>(options: OutboxReplayOptions<T>): OutboxReplayer {
  const { runtime, outbox } = options;
  const logger = options.logger ?? silentLogger;
  const batch = options.batchSize ?? 500;
  let running: Promise<number> | undefined;

  const drainOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      if (!runtime.available) return total;
      const entries = await outbox.list(batch);
      if (entries.length === 0) return total;
      await options.replay(entries);
      await outbox.remove(entries.map((e) => e.id));
      total += entries.length;
      if (entries.length < batch) return total;
    }
  };
  const drain = (): Promise<number> => {
    running ??= drainOnce()
      .then((n) => {
        if (n > 0) logger.info({ redis: runtime.name, replayed: n }, 'outbox replayed into redis');
        return n;
      })
      .catch((error: unknown) => {
        logger.debug(
          { redis: runtime.name, err: logSafeError(error).message },
          'outbox replay failed',
        );
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const off = runtime.on('up', () => void drain());
  const timer = setInterval(() => void drain(), options.intervalMs ?? 5000);
  timer.unref?.();
  void drain();
  return {
    drain,
    stop() {
      off();
      clearInterval(timer);
    },
  };
}
