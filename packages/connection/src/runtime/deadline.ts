/** One call waiting for its reply; `settle()` claims it (the reply or the sweep, whichever is first). */
export abstract class Deadline {
  /** performance.now() value at which the call is late, less the sweeper's stall credit when it was set. */
  deadline = 0;
  private done = false;

  /** True once: the caller that gets true settles the call; every later claim gets false. */
  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  get settled(): boolean {
    return this.done;
  }

  /** Called by the sweep once the deadline has passed and nothing settled the call. */
  abstract expire(): void;
}

class CallbackDeadline extends Deadline {
  constructor(private readonly onExpire: () => void) {
    super();
  }
  expire(): void {
    this.onExpire();
  }
}

/** Calls of one timeout length, oldest first: their deadlines are in order, so a sweep stops at the first that is not late. */
class Lane {
  private items: Deadline[] = [];
  private head = 0;

  constructor(readonly ms: number) {}

  push(entry: Deadline): void {
    this.items.push(entry);
  }

  get empty(): boolean {
    return this.head === this.items.length;
  }

  sweep(now: number): number {
    const items = this.items;
    let head = this.head;
    let expired = 0;
    while (head < items.length) {
      const entry = items[head] as Deadline;
      if (!entry.settled) {
        if (entry.deadline > now) break;
        if (entry.settle()) {
          expired++;
          entry.expire();
        }
      }
      head++;
    }
    // compact once the consumed prefix dominates, so the array does not grow for ever
    if (head === items.length) {
      this.items = [];
      this.head = 0;
    } else if (head > 1024 && head * 2 > items.length) {
      this.items = items.slice(head);
      this.head = 0;
    } else {
      this.head = head;
    }
    return expired;
  }
}

/**
 * One timer for every in-flight call of a connection instead of one `setTimeout` per command:
 * a call is appended to the lane of its timeout length (an array push: no timer, no hashing),
 * settling it flips a flag, and a single interval (running only while calls are pending) walks
 * each lane from the oldest call and expires the late ones. Resolution is `tickMs`, so a
 * 500 ms deadline fires within 500–525 ms.
 */
export class DeadlineSweeper {
  private readonly lanes = new Map<number, Lane>();
  private timer: NodeJS.Timeout | undefined;
  private pending = 0;
  /**
   * Milliseconds the event loop was stalled while calls were pending (a long synchronous task, a
   * starved CPU). They do not count against a deadline: the reply may be waiting in the socket,
   * and after a stall Node runs timers before it reads sockets, so without this a healthy server
   * would be declared down. Deadlines are stored less the credit at the time they were set and
   * compared with `now - credit`, so a stall extends every pending call without touching them.
   */
  private credit = 0;
  private lastSweep = 0;

  constructor(private readonly tickMs = 25) {}

  /** Registers `entry` to expire `ms` from now unless it is settled first. Call `done()` when it settles. */
  add(entry: Deadline, ms: number): void {
    entry.deadline = performance.now() + ms - this.credit;
    let lane = this.lanes.get(ms);
    if (lane === undefined) {
      lane = new Lane(ms);
      this.lanes.set(ms, lane);
    }
    lane.push(entry);
    this.pending++;
    if (this.timer === undefined) this.start();
  }

  /** The call of an entry settled by its reply (after `entry.settle()` returned true). */
  done(): void {
    this.pending--;
  }

  /**
   * Settles with `call` (its rejection mapped through `onError`), or rejects with `onTimeout()`
   * once `ms` have passed. The late call keeps running in ioredis; its outcome is observed, so it
   * never becomes an unhandled rejection. For calls off the hot path (probes); the runtime's
   * `run` uses `add` with an entry of its own, which costs fewer allocations.
   */
  race<T>(
    call: Promise<T>,
    ms: number,
    onTimeout: () => Error,
    onError: (error: unknown) => unknown,
    onOk: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = new CallbackDeadline(() => reject(onTimeout()));
      this.add(entry, ms);
      call.then(
        (value) => {
          if (!entry.settle()) return;
          this.done();
          onOk();
          resolve(value);
        },
        (error: unknown) => {
          if (!entry.settle()) return;
          this.done();
          reject(onError(error));
        },
      );
    });
  }

  /** Calls waiting for an answer. */
  get size(): number {
    return this.pending;
  }

  private start(): void {
    this.lastSweep = performance.now();
    this.timer = setInterval(() => this.sweep(), this.tickMs);
    this.timer.unref?.();
  }

  private sweep(): void {
    const now = performance.now();
    const gap = now - this.lastSweep;
    this.lastSweep = now;
    // a sweep this late means the loop could not run: that time is nobody's answer being slow
    if (gap > 2 * this.tickMs) this.credit += gap - this.tickMs;
    const due = now - this.credit;
    for (const [ms, lane] of this.lanes) {
      this.pending -= lane.sweep(due);
      if (lane.empty) this.lanes.delete(ms);
    }
    if (this.lanes.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
