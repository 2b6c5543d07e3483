import type { Logger, RedisRuntime } from '@redis-toolkit/connection';

/** Lines this package may log from the start of an outage until it has settled (outbox drained). */
const PER_OUTAGE = 2;

export interface BudgetedLogger {
  logger: Logger;
  /** The outage is over for this package (replayed, written back): stop counting. */
  settle(): void;
}

/**
 * The package's logger, held to two lines per outage: the runtime already logs the outage itself
 * (one warning, one info line), and a flapping subscriber or a replay retried every few seconds
 * must not add one line per attempt. At most one of the two may be `debug`, so the lines that
 * matter (a write-back after Redis lost its data, the replay summary) still get through. What is
 * dropped stays visible in `stats()` and `events`. Outside an outage nothing is held back.
 */
export function budgetLogger(logger: Logger, runtime: RedisRuntime | undefined): BudgetedLogger {
  if (!runtime) return { logger, settle: () => {} };
  let counting = !runtime.available;
  let used = 0;
  runtime.on('down', () => {
    counting = true;
    used = 0;
  });
  const gate =
    (level: keyof Logger, limit: number) =>
    (...args: unknown[]): void => {
      if (counting) {
        if (used >= limit) return;
        used++;
      }
      (logger[level] as (...a: unknown[]) => void)(...args);
    };
  return {
    logger: {
      debug: gate('debug', 1),
      info: gate('info', PER_OUTAGE),
      warn: gate('warn', PER_OUTAGE),
      error: gate('error', PER_OUTAGE),
    } as Logger,
    settle() {
      counting = false;
    },
  };
}
