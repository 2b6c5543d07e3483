import type { Logger, RedisRuntime } from '@redis-toolkit/connection';
import type { Bus } from '../bus/bus.js';
import type { L1Invalidation } from '../options/types.js';
import type { Telemetry } from '../stats/stats.js';
import type { MemoryGuard, MemoryTier } from '../tiers/memory.js';
import { ClientTracking } from './client-tracking.js';

/** What keeps other writers' changes out of memory right now (`stats().invalidation`). */
export type InvalidationMode = 'tracking' | 'bus' | 'none';

export interface InvalidationDeps {
  runtime: RedisRuntime;
  /** `{prefix}cache:` */
  root: string;
  memory: MemoryTier;
  bus: Bus;
  telemetry: Telemetry;
  logger: Logger;
  option: L1Invalidation;
  /** Memory answers reads while Redis answers ('tier' mode, not 'fallback'). */
  tiered: boolean;
  commandTimeoutMs: number;
  tagKeyPrefix: string;
  lockKeyPrefix: string;
}

const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * Server-assisted invalidation for one cache: applies `__redis__:invalidate` messages to memory,
 * keeps memory from being served while tracking is lost, and refuses fills that may predate an
 * invalidation.
 *
 * The fill race: a read's reply and the invalidation of the same key travel on different
 * connections, so the invalidation can be processed first and the older reply would then be
 * stored. A read can only be answered within its deadline (one command, plus one for tag times),
 * so a fill of a key invalidated less than that long ago is refused — the caller still gets the
 * value it read, memory simply does not keep it.
 */
export class TrackingInvalidation implements MemoryGuard {
  private state: 'pending' | 'tracking' | 'lost' | 'refused' = 'pending';
  private readonly windowMs: number;
  /** Key → when its invalidation arrived (insertion order = time order, pruned from the front). */
  private readonly recent = new Map<string, number>();
  private flushedAt = 0;
  private readonly off: () => Promise<void>;
  private logged = false;
  /** When the runtime last reported an outage (epoch ms; 0: never). */
  private downAt = 0;
  private readonly offDown: () => void;
  /** Set while a loss waits to be logged: a loss within an outage is detail of that outage. */
  private lossTimer: NodeJS.Timeout | undefined;
  private lossWarned = false;

  constructor(private readonly deps: InvalidationDeps) {
    this.windowMs = 2 * deps.commandTimeoutMs + 100;
    this.offDown = deps.runtime.on('down', () => {
      this.downAt = Date.now();
    });
    const tracking = ClientTracking.for(deps.runtime.client, deps.logger, deps.commandTimeoutMs);
    this.off = tracking.add({
      root: deps.root,
      keys: (keys) => this.onKeys(keys),
      state: (active) => this.onState(active),
      refused: (reason) => this.onRefused(reason),
    });
  }

  get mode(): InvalidationMode {
    if (this.state === 'tracking') return 'tracking';
    // required but unavailable: memory is not served while Redis answers
    if (this.deps.option === 'tracking') return 'none';
    if (this.deps.bus.listening) return 'bus';
    return 'none';
  }

  /**
   * Whether memory may answer. Only gated in 'tier' mode while Redis answers: during an outage
   * nothing can change Redis through this client's view, and 'fallback' memory only answers then.
   */
  servable(): boolean {
    if (!this.deps.tiered) return true;
    if (this.state === 'tracking') return true;
    if (this.state === 'pending' && this.deps.option === 'auto') return true; // bus until known
    if (this.state === 'refused' && this.deps.option === 'auto') return true; // the bus
    return !this.deps.runtime.available;
  }

  fillable(key: string): boolean {
    const now = Date.now();
    if (now - this.flushedAt < this.windowMs) return false;
    const at = this.recent.get(key);
    return at === undefined || now - at >= this.windowMs;
  }

  private note(key: string, now: number): void {
    this.recent.delete(key);
    this.recent.set(key, now);
    for (const [k, at] of this.recent) {
      if (now - at < this.windowMs) break;
      this.recent.delete(k);
    }
  }

  private onKeys(keys: string[] | null): void {
    const receivedAt = preciseNow();
    const { memory, bus, telemetry } = this.deps;
    if (keys === null) {
      this.flush('redis flushed the database');
    } else {
      const now = Date.now();
      const tags: string[] = [];
      for (const key of keys) {
        this.note(key, now);
        if (key.startsWith(this.deps.tagKeyPrefix)) {
          tags.push(key.slice(this.deps.tagKeyPrefix.length));
        } else if (key.startsWith(this.deps.lockKeyPrefix)) {
          // the lock holder released (or its lock expired): waiters may look again
          bus.waiters.wake(key.slice(this.deps.lockKeyPrefix.length));
        } else {
          memory.delete(key);
        }
      }
      if (tags.length > 0) {
        // the tag's time is unknown until read again; entries carrying it are dropped
        for (const tag of tags) bus.tagTimes.delete(tag);
        memory.dropTags(tags);
      }
    }
    telemetry.counters.invalidationsReceived++;
    telemetry.detail('invalidation:received', { keys, receivedAt });
  }

  private flush(reason: string): void {
    this.flushedAt = Date.now();
    this.recent.clear();
    this.deps.memory.clear();
    this.deps.bus.tagTimes.clear();
    this.deps.telemetry.detail('bus:reset', { reason });
  }

  private onState(active: boolean): void {
    if (this.state === 'refused') return;
    if (active) {
      const first = this.state === 'pending';
      // after a loss memory may have missed invalidations; before the first start it was kept by
      // the bus ('auto', as without tracking) or not served at all ('tracking')
      if (!first) this.flush('tracking re-established');
      else if (this.deps.option === 'tracking') this.flush('tracking enabled');
      this.state = 'tracking';
      clearTimeout(this.lossTimer);
      this.lossTimer = undefined;
      if (first && !this.logged) {
        this.logged = true;
        this.deps.logger.info(
          { invalidation: 'tracking', prefix: this.deps.root },
          'cache: memory kept coherent by redis (CLIENT TRACKING BCAST)',
        );
      } else if (!first) {
        // info only to close a loss that was logged as its own incident
        const level = this.lossWarned ? 'info' : 'debug';
        this.lossWarned = false;
        this.deps.logger[level]('cache: invalidation tracking re-established; memory dropped');
      }
    } else if (this.state === 'tracking') {
      this.state = 'lost';
      this.onLost();
    }
  }

  /**
   * A loss during a Redis outage is detail of the runtime's outage (its warn and info are the
   * lines); only a loss with Redis otherwise answering is its own warning. The subscriber can see
   * a kill before the main connection does, so that is decided after the outage had time to show.
   */
  private onLost(): void {
    const message =
      'cache: invalidation tracking lost; memory not served until it is re-established';
    const lostAt = Date.now();
    if (!this.deps.runtime.available) {
      this.deps.logger.debug({ during: 'redis outage' }, message);
      return;
    }
    clearTimeout(this.lossTimer);
    this.lossTimer = setTimeout(
      () => {
        this.lossTimer = undefined;
        if (this.state !== 'lost') return;
        if (!this.deps.runtime.available || this.downAt >= lostAt) {
          this.deps.logger.debug({ during: 'redis outage' }, message);
          return;
        }
        this.lossWarned = true;
        this.deps.logger.warn(message);
      },
      2000 + 2 * this.deps.commandTimeoutMs,
    );
    this.lossTimer.unref?.();
  }

  private onRefused(reason: string): void {
    const was = this.state;
    this.state = 'refused';
    if (was === 'tracking' || was === 'lost') this.flush('tracking refused');
    if (this.deps.option === 'tracking') {
      this.deps.logger.error(
        { reason, option: 'l1.invalidation' },
        "cache: redis refuses CLIENT TRACKING and l1.invalidation is 'tracking'; memory is not served while redis answers (use 'auto' to fall back to the bus)",
      );
    } else if (!this.logged) {
      this.logged = true;
      this.deps.logger.info(
        { reason, invalidation: this.mode },
        'cache: redis refuses CLIENT TRACKING; memory kept coherent by the bus (toolkit writers only)',
      );
    }
  }

  close(): Promise<void> {
    clearTimeout(this.lossTimer);
    this.offDown();
    return this.off();
  }
}
