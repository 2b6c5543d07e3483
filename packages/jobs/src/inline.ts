import {
  durationToMs,
  type Logger,
  logSafeError,
  type ToolkitEvents,
} from '@redis-toolkit/connection';
import type { ResolvedQueue } from './options.js';
import type { JobCounts, JobHandler, RepeatSpec } from './types.js';

type Handler = JobHandler<unknown>;

interface Pending {
  timer: NodeJS.Timeout;
  data: unknown;
  queue: string;
}

/**
 * The no-Redis fallback (`disabled`, or no `redis`): jobs run in this process, with the queue's
 * attempts and backoff, delays as timers. Nothing is durable: a restart loses what has not run,
 * which is the documented price of running without Redis.
 */
export class InlineRunner {
  private readonly handlers = new Map<string, Handler>();
  private readonly pending = new Map<string, Pending>();
  private readonly repeats = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly counts = new Map<string, JobCounts>();
  private readonly warned = new Set<string>();
  private closed = false;

  constructor(
    private readonly queues: Map<string, ResolvedQueue>,
    private readonly events: Map<string, ToolkitEvents>,
    private readonly logger: Logger,
    private readonly maxPending: number,
  ) {
    for (const name of queues.keys()) {
      this.counts.set(name, { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 });
    }
  }

  register(queue: string, handler: Handler): () => void {
    this.handlers.set(queue, handler);
    return () => {
      if (this.handlers.get(queue) === handler) this.handlers.delete(queue);
    };
  }

  /** False when the job was not accepted (no handler, closed, too many pending). */
  add(queue: string, jobId: string, data: unknown, delayMs: number): boolean {
    if (this.closed) return false;
    if (!this.handlers.has(queue)) {
      this.warnOnce(
        queue,
        `jobs: no worker registered for queue ${queue} in inline mode; job dropped`,
      );
      return false;
    }
    const id = `${queue}\u0000${jobId}`;
    if (this.pending.has(id)) return true;
    if (this.pending.size >= this.maxPending) {
      this.warnOnce('full', 'jobs: inline mode holds maxMemoryEntries pending jobs; job dropped');
      return false;
    }
    const stats = this.counts.get(queue) as JobCounts;
    if (delayMs > 0) stats.delayed++;
    else stats.waiting++;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      if (delayMs > 0) stats.delayed--;
      else stats.waiting--;
      this.track(this.run(queue, jobId, data));
    }, delayMs);
    timer.unref?.();
    this.pending.set(id, { timer, data, queue });
    return true;
  }

  cancel(queue: string, jobId: string): boolean {
    const id = `${queue}\u0000${jobId}`;
    const entry = this.pending.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    (this.counts.get(queue) as JobCounts).delayed--;
    return true;
  }

  reschedule(queue: string, jobId: string, delayMs: number): boolean {
    const entry = this.pending.get(`${queue}\u0000${jobId}`);
    if (!entry) return false;
    this.cancel(queue, jobId);
    return this.add(queue, jobId, entry.data, Math.max(1, delayMs));
  }

  repeat(queue: string, id: string, spec: RepeatSpec, data: unknown): void {
    if (this.closed) return;
    const every = spec.every === undefined ? undefined : durationToMs(spec.every);
    if (every === undefined) {
      this.warnOnce(
        `pattern:${queue}`,
        `jobs: cron patterns do not run in inline mode (queue ${queue})`,
      );
      return;
    }
    clearInterval(this.repeats.get(`${queue}\u0000${id}`));
    const timer = setInterval(() => {
      if (this.handlers.has(queue)) this.track(this.run(queue, `r-${id}-${Date.now()}`, data));
    }, every);
    timer.unref?.();
    this.repeats.set(`${queue}\u0000${id}`, timer);
  }

  unrepeat(queue: string, id: string): boolean {
    const key = `${queue}\u0000${id}`;
    const timer = this.repeats.get(key);
    clearInterval(timer);
    return this.repeats.delete(key);
  }

  snapshot(queue: string): JobCounts {
    return { ...(this.counts.get(queue) as JobCounts) };
  }

  get active(): number {
    return this.running.size;
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async run(queue: string, jobId: string, data: unknown): Promise<void> {
    const config = this.queues.get(queue) as ResolvedQueue;
    const stats = this.counts.get(queue) as JobCounts;
    const events = this.events.get(queue) as ToolkitEvents;
    for (let attempt = 1; ; attempt++) {
      const handler = this.handlers.get(queue);
      if (!handler) return;
      const started = performance.now();
      stats.active++;
      try {
        await handler({ id: jobId, queue, data, attempt, signal: undefined });
        stats.active--;
        stats.completed++;
        events.emit('job', 'completed', 1, { durationMs: performance.now() - started });
        return;
      } catch (error) {
        stats.active--;
        const reason = logSafeError(error).message;
        const durationMs = performance.now() - started;
        if (attempt >= config.attempts || this.closed) {
          stats.failed++;
          events.emit('job', 'failed', 1, { reason, durationMs });
          this.logger.warn({ queue, jobId, attempt, err: reason }, 'jobs: inline job failed');
          return;
        }
        events.emit('job', 'retried', 1, { reason, durationMs });
        const wait =
          config.backoff.type === 'fixed'
            ? config.backoff.delay
            : config.backoff.delay * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, wait).unref?.());
      }
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn({ package: 'jobs' }, message);
  }

  /** Stops timers; waits for running jobs up to `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    for (const timer of this.repeats.values()) clearInterval(timer);
    this.repeats.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
