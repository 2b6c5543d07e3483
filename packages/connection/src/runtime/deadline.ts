import { SweepClock } from './sweep-clock.js';

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
 * 500 ms deadline fires within 500–525 ms. Stalls of the event loop do not count (sweep-clock.ts).
 */
export class DeadlineSweeper {
  private readonly lanes = new Map<number, Lane>();
  private pending = 0;
  private readonly clock: SweepClock;

  constructor(tickMs = 25) {
    this.clock = new SweepClock(tickMs, (due) => this.sweep(due));
  }

  /** Registers `entry` to expire `ms` from now unless it is settled first. Call `done()` when it settles. */
  add(entry: Deadline, ms: number): void {
    entry.deadline = this.clock.deadlineIn(ms);
    let lane = this.lanes.get(ms);
    if (lane === undefined) {
      lane = new Lane(ms);
      this.lanes.set(ms, lane);
    }
    lane.push(entry);
    this.pending++;
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

  /** Expires what is due; false once no lane is left (the clock stops). */
  private sweep(due: number): boolean {
    for (const [ms, lane] of this.lanes) {
      this.pending -= lane.sweep(due);
      if (lane.empty) this.lanes.delete(ms);
    }
    return this.lanes.size > 0;
  }
}
