import type { Cache } from '@redis-toolkit/cache';
import type { RedisConnection, RedisStatus } from '@redis-toolkit/connection';
import type { RateLimitMiddleware } from '@redis-toolkit/rate-limit';
import type { TokenBlacklist } from '@redis-toolkit/token-blacklist';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const MOUNTS = ['/dental', '/school', '/care'];
const REDIS_STATUSES: readonly RedisStatus[] = [
  'connecting',
  'ready',
  'reconnecting',
  'down',
  'closed',
  'disabled',
];

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
  const cacheOps = new Counter({
    name: 'cache_operations_total',
    help: 'Cache lookups by cache, key namespace and result (hit, miss, stale)',
    labelNames: ['cache', 'namespace', 'result', 'tier', 'store'] as const,
    registers: [registry],
  });
  const cacheRedisErrors = new Counter({
    name: 'cache_redis_errors_total',
    help: 'Cache operations that fell back because Redis failed or timed out',
    labelNames: ['cache'] as const,
    registers: [registry],
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
    /** `store` is `memory` for answers given without Redis (memory-only cache, outage, pending replay). */
    watchCache(name: string, cache: Cache, memoryOnly = false) {
      const root = cache.keyPrefix;
      const namespaceOf = (key: string) => {
        const rest = key.startsWith(root) ? key.slice(root.length) : key;
        const i = rest.indexOf(':');
        return i === -1 ? rest : rest.slice(0, i);
      };
      const store = () => (memoryOnly || cache.stats().degraded ? 'memory' : 'redis');
      const count = (key: string, result: 'hit' | 'miss' | 'stale', tier: string) =>
        cacheOps.inc({ cache: name, namespace: namespaceOf(key), result, tier, store: store() });
      cache.on('hit', ({ key, tier }) => count(key, 'hit', tier));
      cache.on('miss', ({ key }) => count(key, 'miss', 'none'));
      cache.on('stale', ({ key }) => count(key, 'stale', 'none'));
      cache.on('redis:error', () => cacheRedisErrors.inc({ cache: name }));
    },
    watchLimiter(limiter: RateLimitMiddleware) {
      const name = limiter.limiter.name;
      limiter.limiter.events.on('blocked', () => rateLimitBlocks.inc({ limiter: name }));
      limiter.limiter.events.on('fallback', () => rateLimitFallbacks.inc({ limiter: name }));
    },
    watchRedis(redis: RedisConnection) {
      const set = (status: RedisStatus) => {
        for (const s of REDIS_STATUSES) redisStatus.set({ status: s }, s === status ? 1 : 0);
        redisUp.set(status === 'ready' ? 1 : 0);
      };
      set(redis.status);
      return redis.on('status', (status) => set(status));
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
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
