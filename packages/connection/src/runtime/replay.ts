import type { Logger } from '../types.js';
import { silentLogger } from '../types.js';
import { logSafeError } from './log-safe.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { RedisRuntime } from './runtime.js';

export interface OutboxReplayOptions<T> {
  runtime: RedisRuntime;
  outbox: Outbox<T>;
  /**
   * Writes the entries to Redis (idempotently); resolve only once they are done. Resolving with
   * ids says only those are done (the rest failed and stay for the next drain): a large outbox then
   * drains in steps even when a write now and then times out, instead of retrying the whole batch.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a replay that writes all resolves with nothing (`Promise<void>`), as before ids could be returned
  replay(entries: OutboxEntry<T>[]): Promise<void | readonly string[]>;
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
      const done = await options.replay(entries);
      const ids = done ?? entries.map((e) => e.id);
      if (ids.length > 0) await outbox.remove(ids);
      total += ids.length;
      // a partial replay (the package logs why): the rest waits for the next drain
      if (ids.length < entries.length) return total;
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
