/**
 * The timer and the clock of a deadline sweep, shared by the runtime's `DeadlineSweeper` and the
 * client's `commandTimeout` sweep (command-deadlines.ts): one interval, running only while
 * something is pending, and the time deadlines are compared with.
 *
 * Milliseconds the event loop was stalled (a long synchronous task, a starved CPU) do not count
 * against a deadline: the reply may be waiting in the socket, and after a stall Node runs timers
 * before it reads sockets, so without this a healthy server would be declared down. A deadline
 * is stored less the credit at the time it was set (`deadlineIn`) and compared with
 * `now - credit` (what `sweep` is given), so a stall extends every pending deadline without
 * touching them.
 */
export class SweepClock {
  private timer: NodeJS.Timeout | undefined;
  private credit = 0;
  private lastSweep = 0;

  /** `sweep(due)` expires what is due by `due`; it returns false once nothing is pending (the interval stops). */
  constructor(
    private readonly tickMs: number,
    private readonly sweep: (due: number) => boolean,
  ) {}

  /** The stored deadline of something due `ms` from now; starts the interval if it is stopped. */
  deadlineIn(ms: number): number {
    if (this.timer === undefined) {
      this.lastSweep = performance.now();
      this.timer = setInterval(this.tick, this.tickMs);
      this.timer.unref?.();
    }
    return performance.now() + ms - this.credit;
  }

  private readonly tick = (): void => {
    const now = performance.now();
    const gap = now - this.lastSweep;
    this.lastSweep = now;
    // a sweep this late means the loop could not run: that time is nobody's answer being slow
    if (gap > 2 * this.tickMs) this.credit += gap - this.tickMs;
    if (!this.sweep(now - this.credit) && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };
}
