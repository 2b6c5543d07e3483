interface Pending {
  deadline: number;
  expire(): void;
}

/**
 * One timer for every in-flight call of a connection instead of one `setTimeout` per command:
 * calls register a deadline, a single interval (running only while calls are pending) expires
 * the late ones. Resolution is `tickMs`, so a 500 ms deadline fires within 500–525 ms.
 */
export class DeadlineSweeper {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 25) {}

  /**
   * Settles with `call` (its rejection mapped through `onError`), or rejects with `onTimeout()`
   * once `ms` have passed. The late call keeps running in ioredis; its outcome is observed, so it
   * never becomes an unhandled rejection.
   */
  race<T>(
    call: Promise<T>,
    ms: number,
    onTimeout: () => Error,
    onError: (error: unknown) => unknown,
    onOk: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: performance.now() + ms,
        expire: () => reject(onTimeout()),
      };
      this.pending.add(entry);
      if (this.timer === undefined) this.start();
      call.then(
        (value) => {
          if (!this.pending.delete(entry)) return;
          onOk();
          resolve(value);
        },
        (error: unknown) => {
          if (this.pending.delete(entry)) reject(onError(error));
        },
      );
    });
  }

  get size(): number {
    return this.pending.size;
  }

  private start(): void {
    this.timer = setInterval(() => this.sweep(), this.tickMs);
    this.timer.unref?.();
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(entry);
        entry.expire();
      }
    }
    if (this.pending.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
