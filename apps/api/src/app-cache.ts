import { type Cache, createCache } from '@redis-toolkit/cache';
import type { RedisConnection } from '@redis-toolkit/connection';
import type { Logger } from 'pino';

/**
 * The cache of one domain (dental, school, care) as the routes see it.
 *
 * Default (`l1MaxEntries = 0`): reads and writes go to a Redis-only cache while Redis is `ready`,
 * so a read after a write is fresh on every instance at once (no in-process copy to go stale).
 * While Redis is not ready they go to a memory-only cache of this instance, and tag
 * invalidations Redis could not record are replayed when it is back, so entries written before
 * the outage cannot resurface stale.
 *
 * With `l1MaxEntries > 0` the package's two-tier mode is used instead (L1 + Redis + pub/sub bus):
 * faster hits, but another instance's L1 is only refreshed when the bus message arrives
 * (usually within a millisecond, not guaranteed before the next request).
 */
export class AppCache {
  private readonly pending = new Set<string>();
  private readonly unsubscribe: () => void;

  private constructor(
    readonly name: string,
    private readonly redis: RedisConnection,
    /** Redis-backed (or two-tier) cache. */
    readonly shared: Cache | undefined,
    /** This instance's memory, used while Redis is not ready. */
    readonly local: Cache,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = redis.on('status', (status) => {
      if (status === 'ready') void this.replay();
    });
  }

  static create(
    name: string,
    redis: RedisConnection,
    logger: Logger,
    l1MaxEntries: number,
  ): AppCache {
    const prefix = `${name}:`;
    const shared = redis.client
      ? createCache({
          redis: redis.client,
          prefix,
          defaultTtl: '5m',
          ...(l1MaxEntries > 0
            ? { l1: { maxEntries: l1MaxEntries, maxBytes: 64 * 1024 * 1024 } }
            : {}),
          logger,
        })
      : undefined;
    const local = createCache({
      prefix,
      defaultTtl: '5m',
      l1: { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 },
      logger,
    });
    return new AppCache(name, redis, shared, local, logger);
  }

  /** The cache to use for this request. */
  active(): Cache {
    return this.shared && this.redis.status === 'ready' && this.pending.size === 0
      ? this.shared
      : this.local;
  }

  /** Invalidates in both tiers; what Redis could not record is replayed once it is back. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.local.invalidateTags(tags);
    if (!this.shared) return;
    const recorded = this.redis.status === 'ready' ? await this.shared.invalidateTags(tags) : false;
    if (!recorded) for (const tag of tags) this.pending.add(tag);
  }

  private async replay(): Promise<void> {
    if (this.pending.size === 0 || !this.shared) return;
    const tags = [...this.pending];
    if (await this.shared.invalidateTags(tags)) {
      for (const tag of tags) this.pending.delete(tag);
      this.logger.info(
        { cache: this.name, tags: tags.length },
        'cache: replayed invalidations made while redis was down',
      );
    }
  }

  async ready(): Promise<boolean> {
    return this.shared ? this.shared.ready() : true;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.allSettled([this.shared?.close(), this.local.close()]);
  }
}
