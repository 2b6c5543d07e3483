import type { Cache } from '@redis-toolkit/cache';
import type { RedisConnection, RedisStatus, ToolkitListener } from '@redis-toolkit/connection';
import type { JobCounts, JobQueues } from '@redis-toolkit/jobs';
import type { RateLimitMiddleware } from '@redis-toolkit/rate-limit';
import type { SessionMiddleware } from '@redis-toolkit/session';
import type { TokenBlacklist } from '@redis-toolkit/token-blacklist';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { Tally } from './metric-tally.js';

const MOUNTS = ['/dental', '/school', '/care'];
const REDIS_STATUSES: readonly RedisStatus[] = [
  'connecting',
  'ready',
  'reconnecting',
  'down',
  'closed',
  'disabled',
];

/** Anything with the toolkit's shared events (every package instance). */
interface EventSource {
  readonly events: { on(listener: ToolkitListener): () => void };
}

/** One registry per app instance (two instances in one test process must not share counters). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // counted in plain numbers as events happen, handed to prom-client at scrape time (Tally)
  const cacheOpsTally = new Tally(['cache', 'operation', 'result', 'store'] as const);
  const cacheErrorsTally = new Tally(['cache', 'type'] as const);
  const eventsTally = new Tally(['package', 'name', 'type', 'operation'] as const);
  new Counter({
    name: 'cache_operations_total',
    help: 'Cache lookups by cache, operation (get, getOrSet, mget…) and result (hit, miss, stale)',
    labelNames: ['cache', 'operation', 'result', 'store'] as const,
    registers: [registry],
    collect() {
      cacheOpsTally.publish(this);
    },
  });
  new Counter({
    name: 'cache_redis_errors_total',
    help: 'Cache calls Redis failed (error) or that were answered without Redis (fallback)',
    labelNames: ['cache', 'type'] as const,
    registers: [registry],
    collect() {
      cacheErrorsTally.publish(this);
    },
  });
  new Counter({
    name: 'redis_toolkit_events_total',
    help: 'Shared events of every toolkit package instance (count of items per event)',
    labelNames: ['package', 'name', 'type', 'operation'] as const,
    registers: [registry],
    collect() {
      eventsTally.publish(this);
    },
  });
  const rateLimitBlocks = new Counter({
    name: 'rate_limit_blocked_total',
    help: 'Requests refused by a rate limiter',
    labelNames: ['limiter'] as const,
    registers: [registry],
  });
  const rateLimitFallbacks = new Counter({
    name: 'rate_limit_fallbacks_total',
    help: 'Rate-limit decisions taken without Redis (outage policy)',
    labelNames: ['limiter'] as const,
    registers: [registry],
  });
  const revocations = new Counter({
    name: 'token_revocations_total',
    help: 'JWT revocations (token = one jti, user = every token of a user)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const sessionRevocations = new Counter({
    name: 'session_revocations_total',
    help: 'Care sessions ended (logout or device revoke)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const redisStatus = new Gauge({
    name: 'redis_status',
    help: 'Redis connection status (1 for the current status)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const redisUp = new Gauge({
    name: 'redis_up',
    help: '1 when the Redis connection is ready',
    registers: [registry],
  });
  const sseClients = new Gauge({
    name: 'care_alert_streams',
    help: 'Open SSE alert streams on this instance',
    registers: [registry],
  });

  return {
    registry,
    httpDuration,
    revocations,
    sessionRevocations,
    sseClients,
    /** Express middleware timing each request; the label is the matched route pattern, never the raw URL. */
    httpMiddleware(): RequestHandler {
      return (req, res, next) => {
        const end = httpDuration.startTimer();
        res.once('finish', () => {
          const pattern = (req.route as { path?: string } | undefined)?.path;
          // After an error the router has already restored baseUrl: recover the mount point.
          const mount =
            req.baseUrl || (MOUNTS.find((m) => req.originalUrl.startsWith(`${m}/`)) ?? '');
          const route = pattern
            ? `${mount}${pattern}`
            : res.statusCode === 404
              ? 'unmatched'
              : mount || 'middleware';
          end({ method: req.method, route, status: String(res.statusCode) });
        });
        next();
      };
    },
    /** Every shared event of a package instance, by package, instance name, type and operation. */
    watchEvents(source: EventSource) {
      return source.events.on((e) => {
        eventsTally.row(e.package, e.name, e.type, e.operation).n += e.count;
      });
    },
    /**
     * Cache lookups from the cache's shared events (mget/mset included, `count` per event).
     * `store` is `memory` for answers given while this instance cannot use Redis (memory-only, or
     * the runtime is in an outage): the runtime's flag, read without a call.
     */
    watchCache(name: string, cache: Cache, redis: RedisConnection) {
      const store = () => (redis.runtime?.available ? 'redis' : 'memory');
      this.watchEvents(cache);
      return cache.events.on((e) => {
        if (e.type === 'hit' || e.type === 'miss' || e.type === 'stale')
          cacheOpsTally.row(name, e.operation, e.type, store()).n += e.count;
        else if (e.type === 'error' || e.type === 'fallback')
          cacheErrorsTally.row(name, e.type).n += e.count;
      });
    },
    watchLimiter(limiter: RateLimitMiddleware) {
      const name = limiter.limiter.name;
      this.watchEvents(limiter.limiter);
      return limiter.limiter.events.on((e) => {
        if (e.type === 'block') rateLimitBlocks.inc({ limiter: name }, e.count);
        else if (e.type === 'fallback') rateLimitFallbacks.inc({ limiter: name }, e.count);
      });
    },
    watchSessions(sessions: SessionMiddleware) {
      return this.watchEvents(sessions);
    },
    watchRedis(redis: RedisConnection) {
      const set = (status: RedisStatus) => {
        for (const s of REDIS_STATUSES) redisStatus.set({ status: s }, s === status ? 1 : 0);
        redisUp.set(status === 'ready' ? 1 : 0);
      };
      set(redis.status);
      // The packages' shared health: 0 during an outage (a hung server too, whose connection
      // status stays `ready`), when nothing is sent to Redis.
      new Gauge({
        name: 'redis_available',
        help: '1 while the shared runtime sends commands to Redis, 0 during an outage or without Redis',
        registers: [registry],
        collect() {
          this.set(redis.runtime?.available ? 1 : 0);
        },
      });
      return redis.on('status', (status) => set(status));
    },
    /**
     * Jobs per queue and state, read from Redis at scrape time (one `counts()` call, within the
     * package's command timeout; during an outage the gauges keep their last values), and job
     * durations and outcomes from the workers' events.
     */
    watchJobs(jobs: Pick<JobQueues, 'counts' | 'events'>) {
      new Gauge({
        name: 'jobs_queue_jobs',
        help: 'Jobs per queue and state (waiting, active, delayed, failed, completed)',
        labelNames: ['queue', 'state'] as const,
        registers: [registry],
        async collect() {
          let counts: Record<string, JobCounts>;
          try {
            counts = await jobs.counts();
          } catch {
            return;
          }
          for (const [queue, byState] of Object.entries(counts))
            for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
        },
      });
      const duration = new Histogram({
        name: 'jobs_duration_seconds',
        help: 'Time one job attempt ran, by queue and outcome (completed, retried, failed)',
        labelNames: ['queue', 'outcome'] as const,
        buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
        registers: [registry],
      });
      const finished = new Counter({
        name: 'jobs_finished_total',
        help: 'Job attempts by queue and outcome (completed, retried, failed = out of attempts)',
        labelNames: ['queue', 'outcome'] as const,
        registers: [registry],
      });
      this.watchEvents(jobs);
      return jobs.events.on((e) => {
        if (e.type !== 'job') return;
        if (e.operation !== 'completed' && e.operation !== 'retried' && e.operation !== 'failed')
          return;
        finished.inc({ queue: e.name, outcome: e.operation }, e.count);
        if (e.durationMs !== undefined)
          duration.observe({ queue: e.name, outcome: e.operation }, e.durationMs / 1000);
      });
    },
    watchBlacklist(blacklist: TokenBlacklist) {
      new Gauge({
        name: 'token_blacklist_in_sync',
        help: '1 when the revocation mirror is in sync with Redis',
        registers: [registry],
        collect() {
          this.set(blacklist.inSync ? 1 : 0);
        },
      });
      this.watchEvents(blacklist);
      return blacklist.events.on((e) => {
        if (e.type === 'revocation')
          revocations.inc({ kind: e.operation === 'revokeAllForUser' ? 'user' : 'token' }, e.count);
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
