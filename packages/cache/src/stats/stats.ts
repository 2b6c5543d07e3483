import { EventEmitter } from 'node:events';
import { ToolkitEvents, type ToolkitEventType } from '@redis-toolkit/connection';
import type { CacheEvents } from './types.js';

/** The shared events (`cache.events`) plus the detailed emitter and the cache's own counters. */
export class Telemetry {
  readonly events: ToolkitEvents;
  readonly emitter = new EventEmitter();
  readonly counters = {
    l1Hits: 0,
    l2Hits: 0,
    sets: 0,
    deletes: 0,
    loaderCalls: 0,
    busReceived: 0,
    invalidationsReceived: 0,
    replayed: 0,
    decryptFailures: 0,
  };

  constructor(name: string) {
    this.events = new ToolkitEvents('cache', name);
  }

  /** A shared event (counted always, built only when listened to). */
  emit(type: ToolkitEventType, operation: string, count = 1, reason?: string): void {
    this.events.emit(type, operation, count, reason === undefined ? undefined : { reason });
  }

  detail<K extends keyof CacheEvents>(event: K, payload: CacheEvents[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  hit(operation: string, key: string, tier: 'l1' | 'l2'): void {
    if (tier === 'l1') this.counters.l1Hits++;
    else this.counters.l2Hits++;
    this.emit('hit', operation);
    this.detail('hit', { key, tier });
  }

  miss(operation: string, key: string): void {
    this.emit('miss', operation);
    this.detail('miss', { key });
  }
}
