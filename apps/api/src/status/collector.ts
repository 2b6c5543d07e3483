import type { Cache } from '@redis-toolkit/cache';
import type { RedisConfig, RedisConnection } from '@redis-toolkit/connection';
import type { Limiter } from '@redis-toolkit/rate-limit';
import type { AlertHub } from '../care/alerts.js';
import type { Presence } from '../care/presence.js';
import type { Platform } from '../platform.js';
import type {
  AlertStatus,
  CacheStatus,
  Incident,
  JobsStatus,
  LatencySample,
  StatusSnapshot,
} from './types.js';

/** Anything shaped like `@redis-toolkit/jobs` queues (optional: the app may not wire jobs). */
export interface JobsSource {
  stats(): object;
  counts(): Promise<Record<string, object>>;
}

export interface StatusCollectorOptions {
  redis: RedisConnection;
  platform: Platform;
  presence: Presence;
  alerts: AlertHub;
  databaseKind: string;
  environment: string;
  /** Job queues to show; default: `platform.jobs` when the platform has one, else none. */
  jobs?: JobsSource;
  /** Sample period. Default 2 s. */
  intervalMs?: number;
  /** Samples kept (ring buffer). Default 150 (5 minutes at 2 s). */
  keep?: number;
}

const RECENT_ALERTS = 30;
const INCIDENTS = 20;
const SIDE_CALL_MS = 500;

/** Where the connection points, for the page and the start banner: never credentials. */
export function describeRedis(config: RedisConfig): string {
  if (!config.enabled) return 'memory-only (REDIS_ENABLED=false)';
  if (config.mode === 'standalone') return `redis://${config.host}:${config.port}/${config.db}`;
  if (config.mode === 'sentinel')
    return `sentinel ${config.masterName} via ${config.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  return `cluster ${config.nodes.map((s) => `${s.host}:${s.port}`).join(',')}`;
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });

class Ring<T> {
  readonly items: T[] = [];
  constructor(private readonly size: number) {}
  push(item: T) {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
}

/**
 * The status page's data: every number is read from the packages' own `stats()` / `health()` /
 * `runtime` (no counters of its own). What needs history — latency, and each cache's hit ratio
 * per window — is sampled every `intervalMs` into ring buffers.
 */
export function createStatusCollector(o: StatusCollectorOptions) {
  const intervalMs = o.intervalMs ?? 2_000;
  const keep = o.keep ?? 150;
  const startedAt = Date.now();
  const latency = new Ring<LatencySample>(keep);
  const ratios = new Map<string, Ring<{ t: number; ratio: number | null }>>();
  const lastCounts = new Map<string, { hit: number; total: number }>();
  const incidents = new Ring<Incident>(INCIDENTS);
  const recentAlerts = new Ring<AlertStatus>(RECENT_ALERTS);
  let activeSessions: number | null = null;
  let jobs: JobsStatus | null = null;
  let online: StatusSnapshot['presence'] = { online: [], source: 'memory' };
  let sampling = false;

  const jobsSource = o.jobs ?? (o.platform as { jobs?: JobsSource }).jobs;
  const caches = Object.entries(o.platform.caches).filter(
    (entry): entry is [string, Cache] => entry[1] !== undefined,
  );
  const runtime = o.redis.runtime;
  const offDown = runtime?.on('down', (info) =>
    incidents.push({ since: info.since, reason: info.reason, message: info.message }),
  );
  const offUp = runtime?.on('up', () => {
    const open = incidents.items.at(-1);
    if (open && open.until === undefined) open.until = Date.now();
  });
  if (runtime?.outage) {
    const { since, reason, message } = runtime.outage;
    incidents.push({ since, reason, message });
  }
  const offAlerts = o.alerts.tap((alert) =>
    recentAlerts.push({ ...alert, receivedAt: Date.now() }),
  );

  const sessionCount = () =>
    new Promise<number>((resolve, reject) =>
      o.platform.sessions.store.length((err, n) => (err ? reject(err) : resolve(n ?? 0))),
    );

  async function sample() {
    if (sampling) return; // a hung call never stacks samples
    sampling = true;
    try {
      const now = Date.now();
      const health = await o.redis.health({ timeoutMs: 1_000 });
      // Still connecting at start is not an unanswered PING.
      if (health.status !== 'connecting' || latency.items.length > 0)
        latency.push({
          t: now,
          latencyMs: health.healthy ? health.latencyMs : null,
          status: health.status,
        });
      for (const [name, cache] of caches) {
        const s = cache.stats();
        const total = s.hit + s.miss + s.stale;
        const last = lastCounts.get(name) ?? { hit: 0, total: 0 };
        const dt = total - last.total;
        const ring = ratios.get(name) ?? new Ring(keep);
        ratios.set(name, ring);
        ring.push({ t: now, ratio: dt > 0 ? (s.hit - last.hit) / dt : null });
        lastCounts.set(name, { hit: s.hit, total });
      }
      // Side reads go through the runtime: during an outage they answer at once from memory.
      const usable = !runtime || runtime.available;
      const [count, who, queueCounts] = await Promise.all([
        usable ? within(sessionCount(), SIDE_CALL_MS) : Promise.resolve(undefined),
        within(o.presence.online(), SIDE_CALL_MS),
        jobsSource && usable
          ? within(jobsSource.counts(), SIDE_CALL_MS)
          : Promise.resolve(undefined),
      ]);
      activeSessions = count ?? (usable ? activeSessions : null);
      if (who) online = who;
      if (jobsSource) {
        jobs = {
          stats: { ...jobsSource.stats() } as Record<string, unknown>,
          queues: (queueCounts as JobsStatus['queues'] | undefined) ?? jobs?.queues ?? {},
        };
      }
    } finally {
      sampling = false;
    }
  }

  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();

  const limiterStatus = (l: Limiter) => {
    const s = l.stats();
    return {
      name: l.name,
      limit: l.limit,
      windowMs: l.windowMs,
      allow: s.allow,
      block: s.block,
      fallback: s.fallback,
      onRedisError: l.onRedisError,
    };
  };

  return {
    intervalMs,
    snapshot(): StatusSnapshot {
      const outage = runtime?.outage;
      const sessions = o.platform.sessions.stats();
      const blacklist = o.platform.blacklist.stats();
      return {
        now: Date.now(),
        startedAt,
        environment: o.environment,
        redis: {
          name: o.redis.name,
          target: describeRedis(o.redis.config),
          status: o.redis.status,
          available: runtime?.available ?? false,
          outage: outage
            ? { since: outage.since, reason: outage.reason, message: outage.message }
            : null,
          latency: latency.items,
          incidents: incidents.items,
        },
        database: { kind: o.databaseKind },
        caches: caches.map(([name, cache]): CacheStatus => {
          const s = cache.stats();
          const total = s.hit + s.miss + s.stale;
          return {
            name,
            hit: s.hit,
            miss: s.miss,
            stale: s.stale,
            error: s.error,
            fallback: s.fallback,
            ratio: total > 0 ? s.hit / total : null,
            degraded: s.degraded,
            history: ratios.get(name)?.items ?? [],
          };
        }),
        limiters: o.platform.rateLimiters.map(limiterStatus),
        sessions: {
          active: activeSessions,
          hit: sessions.hit,
          miss: sessions.miss,
          fallback: sessions.fallback,
          error: sessions.error,
          memoryEntries: sessions.memoryEntries,
          redis: sessions.redis,
        },
        presence: online,
        blacklist: {
          inSync: blacklist.inSync,
          localEntries: blacklist.localEntries,
          revocation: blacklist.revocation,
          resyncs: blacklist.resyncs,
          replayed: blacklist.replayed,
          fallback: blacklist.fallback,
          redis: blacklist.redis,
        },
        jobs,
        alerts: {
          streams: o.alerts.openStreams,
          subscribed: o.alerts.subscribed,
          recent: recentAlerts.items,
        },
      };
    },
    close() {
      clearInterval(timer);
      offDown?.();
      offUp?.();
      offAlerts();
    },
  };
}

export type StatusCollector = ReturnType<typeof createStatusCollector>;
