import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from '../openapi/zod.js';

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string() } },
});

/**
 * The status page and the docs: never rate limited. In production the data routes answer 401/403
 * without an admin token or STATUS_TOKEN (not listed: the documented app runs in development).
 */
export function registerStatusPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/',
    tags: ['platform'],
    summary: 'Status page (HTML): Redis state and latency, cache hit ratios, limits, sessions',
    responses: { 200: html('The status page; it polls /status.json') },
  });
  registry.registerPath({
    method: 'get',
    path: '/status.json',
    tags: ['platform'],
    summary: "One status snapshot, read from the packages' stats() and the connection runtime",
    description:
      'Open in development; in production it needs `Authorization: Bearer` with a school `super_admin`/`school_admin` access token or `STATUS_TOKEN`.',
    responses: {
      200: {
        description: 'Snapshot (see apps/status-ui/src/types.ts)',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/docs/openapi.json',
    tags: ['platform'],
    summary: 'The document /docs renders (in development with the demo credentials)',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  });
}
