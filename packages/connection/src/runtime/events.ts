import diagnostics from 'node:diagnostics_channel';

/** The kinds of event every package emits, and the counters of the same names in `stats()`. */
export const EVENT_TYPES = [
  'hit',
  'miss',
  'stale',
  'error',
  'fallback',
  'block',
  'allow',
  'revocation',
  'job',
] as const;
export type ToolkitEventType = (typeof EVENT_TYPES)[number];

/** One shape for every event of every package. */
export interface ToolkitEvent {
  /** `cache`, `session`, `ratelimit`, `blacklist`, `jobs`. */
  package: string;
  type: ToolkitEventType;
  /** The namespace, limiter, queue or store the event belongs to. */
  name: string;
  /** What ran: `get`, `getOrSet`, `consume`, `revoke`… */
  operation: string;
  /** How many items the event covers (an `mget` of 10 keys with 7 hits is one event, count 7). */
  count: number;
  /** Why, for `error` and `fallback`: the error's (redacted) message. */
  reason?: string;
  /** Milliseconds the operation took, where measured. */
  durationMs?: number;
}

/** Counters in `stats()`: the sum of `count` per event type since start. */
export type ToolkitCounters = Record<ToolkitEventType, number>;

export type ToolkitListener = (event: ToolkitEvent) => void;

/**
 * Events and counters of one package instance. `emit` always counts (a field increment) and only
 * builds an event object when someone listens — `on(...)` here, or a subscriber on the
 * `diagnostics_channel` named `redis-toolkit:<package>` — so the hot path stays cheap.
 */
export class ToolkitEvents {
  readonly counters: ToolkitCounters;
  private readonly listeners = new Set<ToolkitListener>();
  private readonly channel: diagnostics.Channel;

  constructor(
    readonly pkg: string,
    readonly name: string,
  ) {
    this.counters = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as ToolkitCounters;
    this.channel = diagnostics.channel(`redis-toolkit:${pkg}`);
  }

  /** Listens to every event of this instance. Returns an unsubscribe function. */
  on(listener: ToolkitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(
    type: ToolkitEventType,
    operation: string,
    count = 1,
    extra?: { reason?: string; durationMs?: number },
  ): void {
    if (count <= 0) return;
    this.counters[type] += count;
    if (this.listeners.size === 0 && !this.channel.hasSubscribers) return;
    const event: ToolkitEvent = {
      package: this.pkg,
      type,
      name: this.name,
      operation,
      count,
      ...extra,
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's bug must not break the operation that emitted
      }
    }
    if (this.channel.hasSubscribers) this.channel.publish(event);
  }

  /** A copy of the counters. */
  snapshot(): ToolkitCounters {
    return { ...this.counters };
  }
}
