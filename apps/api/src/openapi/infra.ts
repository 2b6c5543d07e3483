import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errors, int, ok, RATE_LIMITED } from './common.js';
import { z } from './zod.js';

const Health = z.strictObject({ status: z.literal('ok'), uptimeSeconds: int }).openapi('Health');
const Ready = z
  .strictObject({
    status: z.enum(['ok', 'degraded', 'unavailable']),
    checks: z.strictObject({
      database: z.strictObject({
        healthy: z.boolean(),
        kind: z.enum(['pglite', 'postgres']),
        latencyMs: int,
      }),
      redis: z.strictObject({
        healthy: z.boolean(),
        status: z.enum(['connecting', 'ready', 'reconnecting', 'down', 'closed', 'disabled']),
        latencyMs: z.number(),
        /** While the connection's runtime is in an outage (no package sends anything to Redis). */
        outageSince: z.iso.datetime({ offset: true }).optional(),
        error: z.string().optional(),
      }),
    }),
  })
  .openapi('Ready');

/** Probes, metrics and this document: never behind the `api` limiter; probes skip the global one. */
export function registerInfraPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/health',
    tags: ['platform'],
    summary: 'Liveness: the process answers',
    responses: { 200: ok('Alive', Health) },
  });
  registry.registerPath({
    method: 'get',
    path: '/ready',
    tags: ['platform'],
    summary: 'Readiness: 200 ok, 200 degraded while only Redis is down, 503 without the database',
    responses: {
      200: ok('This instance can serve (`ok`, or `degraded` while Redis is down)', Ready),
      503: ok('The database does not answer (`unavailable`)', Ready),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['platform'],
    summary: 'Prometheus metrics',
    responses: {
      200: {
        description: 'Prometheus text exposition format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['platform'],
    summary: 'This document; `servers` names the host it was requested from',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
      ...errors(RATE_LIMITED),
    },
  });
}
