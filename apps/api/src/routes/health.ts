import type { RedisConnection } from '@redis-toolkit/connection';
import { Router } from 'express';

/**
 * `/health` is liveness: the process answers. `/ready` is readiness: 200 `ok` when Redis is
 * healthy, 200 `degraded` while it is not (the app keeps serving from memory), so a load
 * balancer does not take every instance out during a Redis outage.
 */
export function healthRoutes(redis: RedisConnection): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/ready', async (_req, res) => {
    const health = await redis.health({ timeoutMs: 500 });
    const status = health.healthy ? 'ok' : 'degraded';
    res.status(200).json({
      status,
      checks: {
        redis: {
          healthy: health.healthy,
          status: health.status,
          latencyMs: health.latencyMs,
          ...(health.error ? { error: health.error } : {}),
        },
      },
    });
  });
  return router;
}
