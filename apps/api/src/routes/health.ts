import type { RedisConnection } from '@redis-toolkit/connection';
import { Router } from 'express';
import type { DatabaseHandle } from '../db/connect.js';

/**
 * `/health` is liveness: the process answers. `/ready` is readiness: 503 when the database does
 * not answer (this instance cannot serve), 200 `degraded` while only Redis is unhealthy (the app
 * keeps serving from memory, so a load balancer must not take every instance out during a Redis
 * outage), 200 `ok` otherwise.
 */
export function healthRoutes(redis: RedisConnection, database: DatabaseHandle): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/ready', async (_req, res) => {
    const started = Date.now();
    const [health, dbUp] = await Promise.all([
      redis.health({ timeoutMs: 500 }),
      database.ping(1_000),
    ]);
    const dbLatencyMs = Date.now() - started;
    const status = !dbUp ? 'unavailable' : health.healthy ? 'ok' : 'degraded';
    res.status(dbUp ? 200 : 503).json({
      status,
      checks: {
        database: { healthy: dbUp, kind: database.kind, latencyMs: dbLatencyMs },
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
