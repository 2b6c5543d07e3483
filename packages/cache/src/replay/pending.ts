import type { Logger } from '@redis-toolkit/connection';

export type PendingKind = 'tags' | 'keys' | 'patterns';

/**
 * Invalidations Redis could not take (tags, deleted keys, patterns, keys written while it
 * failed), deduplicated and bounded: past `max` they become one "clear everything" pattern.
 */
export class Pending {
  readonly tags = new Set<string>();
  readonly keys = new Set<string>();
  readonly patterns = new Set<string>();

  constructor(
    private readonly max: number,
    /** Glob of every entry of this cache (all namespaces). */
    readonly everything: string,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.tags.size + this.keys.size + this.patterns.size;
  }

  get clearing(): boolean {
    return this.patterns.has(this.everything);
  }

  add(kind: PendingKind, values: readonly string[]): void {
    if (values.length === 0 || this.clearing) return; // the whole cache will be cleared anyway
    for (const v of values) this[kind].add(v);
    if (kind === 'patterns' && values.includes(this.everything)) this.collapse();
    else if (this.size > this.max) {
      this.logger.error(
        { max: this.max, pattern: this.everything },
        'cache: too many invalidations pending while redis is unavailable; ' +
          'the whole cache will be cleared when redis is back',
      );
      this.collapse();
    }
  }

  private collapse(): void {
    this.tags.clear();
    this.keys.clear();
    this.patterns.clear();
    this.patterns.add(this.everything);
  }
}
