import {
  logSafeError,
  type Outbox,
  type OutboxEntry,
  type OutboxReplayer,
  type RedisRuntime,
  startOutboxReplay,
} from '@redis-toolkit/connection';
import type { Core } from './core.js';
import { type Entry, toEntry } from './keys.js';
import { writeEntry } from './writes.js';

const REPLAY_CONCURRENCY = 50;

const ABSORB_EVERY_MS = 1000;

/**
 * The blacklist's use of the shared outbox: revocations that could not be made durable in Redis
 * are appended here before the caller hears "revoked", replayed by whichever instance sharing
 * the outbox sees Redis first, and read back into memory during an outage so that every instance
 * on the outbox honours them before Redis returns.
 */
export class OutboxSide {
  private readonly replayer: OutboxReplayer | undefined;
  private absorbing: Promise<void> | undefined;
  private absorbedAt = 0;

  constructor(
    private readonly core: Core,
    private readonly outbox: Outbox,
  ) {
    const runtime = core.runtime;
    if (runtime) {
      this.replayer = startOutboxReplay({
        runtime,
        outbox,
        replay: (entries) => this.replay(runtime, entries),
        intervalMs: core.o.replayIntervalMs,
        logger: core.o.logger,
      });
    }
  }

  /** Durable before it resolves (the outbox's contract). */
  append(entry: Entry): Promise<void> {
    return this.outbox.append({
      id: `${entry.kind}:${entry.id}:${entry.value}`,
      kind: 'blacklist',
      payload: entry,
      createdAt: Date.now(),
    });
  }

  /** Replays now; resolves true when the outbox is empty afterwards (every known revocation is in Redis). */
  async drain(): Promise<boolean> {
    if (!this.replayer) return false;
    await this.replayer.drain();
    return (await this.outbox.size()) === 0;
  }

  /** Loads what other instances left in the outbox into memory; at most once a second, shared by concurrent callers. */
  absorb(): Promise<void> {
    if (this.absorbing) return this.absorbing;
    if (Date.now() - this.absorbedAt < ABSORB_EVERY_MS) return Promise.resolve();
    this.absorbing = this.outbox
      .list(100_000)
      .then((entries) => {
        for (const item of entries) this.remember(item);
      })
      .catch(() => {
        // an unreadable outbox leaves memory as it is; the next absorb retries
      })
      .finally(() => {
        this.absorbedAt = Date.now();
        this.absorbing = undefined;
      });
    return this.absorbing;
  }

  stop(): void {
    this.replayer?.stop();
  }

  private remember(item: OutboxEntry): Entry | undefined {
    const entry = toEntry(item.payload);
    if (!entry || entry.expMs <= Date.now()) return undefined;
    if (entry.kind === 't') this.core.store.addToken(entry.id, entry.expMs);
    else this.core.store.addUser(entry.id, entry.value, entry.expMs);
    return entry;
  }

  /** The ids of the entries now in Redis (or expired, or unreadable: done too). */
  private async replay(runtime: RedisRuntime, entries: OutboxEntry[]): Promise<string[]> {
    const done: string[] = [];
    const live: { id: string; entry: Entry }[] = [];
    for (const item of entries) {
      const entry = this.remember(item);
      // an expired or unreadable entry is done: removing it is the right outcome
      if (entry === undefined) done.push(item.id);
      else live.push({ id: item.id, entry });
    }
    // Writes of one batch go out together (pipelined on the durable connection, each with its
    // WAIT): one at a time, 1,800 entries took over two minutes to drain under load. Each slice
    // keeps what it wrote: one write timing out must not send the whole batch round again (in CI
    // a 2,000-entry outbox after a master kill never drained that way within two minutes).
    for (let i = 0; i < live.length; i += REPLAY_CONCURRENCY) {
      const slice = live.slice(i, i + REPLAY_CONCURRENCY);
      const results = await Promise.allSettled(
        slice.map(({ entry }) => writeEntry(this.core, runtime, entry, true)),
      );
      let failed = 0;
      let reason: unknown;
      results.forEach((result, k) => {
        if (result.status === 'fulfilled') done.push(slice[k]!.id);
        else {
          failed++;
          reason ??= result.reason;
        }
      });
      this.core.counters.replayed += slice.length - failed;
      if (failed > 0) {
        // Redis (or durability) is failing now: the rest waits for the next drain
        this.core.o.logger.debug(
          { failed, err: logSafeError(reason).message },
          'token-blacklist: outbox replay stopped at a failed write',
        );
        break;
      }
    }
    return done;
  }
}
