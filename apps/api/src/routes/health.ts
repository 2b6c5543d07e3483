import { logSafeError, type RedisConnection } from '@redis-toolkit/connection';
import type { Express } from 'express';
import type { DatabaseHandle } from '../db/connect.js';

const PING_TIMEOUT_MS = 500;

export interface RedisCheck {
  healthy: boolean;
  status: RedisConnection['status'];
  latencyMs: number;
  /** While the shared runtime is in an outage: when it started. */
  outageSince?: string;
  error?: string;
}

/**
 * The Redis part of readiness, from the connection's shared runtime (the state every package
 * answers from): during an outage nothing is sent and the answer is immediate; otherwise one PING
 * through the runtime, so a hung server starts the outage for every package, as any call would.
 * No runtime (`REDIS_ENABLED=false`): memory-only, reported as not healthy (`disabled`).
 */
async function redisCheck(redis: RedisConnection): Promise<RedisCheck> {
  const runtime = redis.runtime;
  if (!runtime) return { healthy: false, status: redis.status, latencyMs: 0 };
  const outage = runtime.outage;
  if (outage) {
    return {
      healthy: false,
      status: redis.status,
      latencyMs: 0,
      outageSince: new Date(outage.since).toISOString(),
      error: outage.message,
    };
  }
  const started = performance.now();
  try {
    await runtime.run('ping', () => runtime.client.ping(), PING_TIMEOUT_MS);
    return {
      healthy: true,
      status: redis.status,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } catch (error) {
    return {
      healthy: false,
      status: redis.status,
      latencyMs: Math.round(performance.now() - started),
      error: logSafeError(error).message,
    };
  }
}

/**
 * `/health` is liveness: the process answers. `/ready` is readiness: 503 when the database does
 * not answer (this instance cannot serve), 200 `degraded` while only Redis is unusable (the app
 * keeps serving from memory, so a load balancer must not take every instance out during a Redis
 * outage), 200 `ok` otherwise. Neither answer may be stored by a cache between the probe and the
 * app (`no-store`), nor is revalidated (no ETag).
 *
 * Registered on the app itself, not as a router: a router mounted at `/` would be entered, and its
 * routes tried, by every request the app serves.
 */
export function registerHealthRoutes(
  app: Express,
  redis: RedisConnection,
  database: DatabaseHandle,
): void {
  app.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }));
  });
  app.get('/ready', async (_req, res) => {
    const started = Date.now();
    const [check, dbUp] = await Promise.all([redisCheck(redis), database.ping(1_000)]);
    const dbLatencyMs = Date.now() - started;
    const status = !dbUp ? 'unavailable' : check.healthy ? 'ok' : 'degraded';
    res.setHeader('Cache-Control', 'no-store');
    res.status(dbUp ? 200 : 503).json({
      status,
      checks: {
        database: { healthy: dbUp, kind: database.kind, latencyMs: dbLatencyMs },
        redis: check,
      },
    });
  });
}
