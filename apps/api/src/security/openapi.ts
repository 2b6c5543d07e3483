import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errors, ok, RATE_LIMITED } from '../openapi/common.js';
import { z } from '../openapi/zod.js';

const CsrfToken = z
  .strictObject({
    token: z.string().openapi({ description: 'Send it in the X-CSRF-Token header' }),
    header: z.literal('x-csrf-token'),
  })
  .openapi('CsrfToken');

/** `GET /csrf-token` (security/csrf.ts), behind the global limiter. */
export function registerSecurityPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/csrf-token',
    tags: ['platform'],
    summary:
      'A CSRF token for the cookie-session areas (care, dental): bound to the current session cookies, so fetch one after signing in',
    responses: {
      200: ok('The token (its signed cookie is set alongside)', CsrfToken),
      ...errors({ 429: RATE_LIMITED[429], 500: RATE_LIMITED[500], 503: RATE_LIMITED[503] }),
    },
  });
}
