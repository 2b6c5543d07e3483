import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errors, ok, RATE_LIMITED } from '../openapi/common.js';
import { DevMailList, devMailQuery } from './dev-mail-schemas.js';

export function registerDevMailPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/dev/mail',
    tags: ['platform'],
    summary:
      'Development mail sink: every delivery attempt of the e-mail jobs this instance ran (not in production)',
    description:
      'Recipients at `fail.test` fail their first attempt (retried with backoff), at `bounce.test` every attempt.',
    request: { query: devMailQuery },
    responses: {
      200: ok('Delivery attempts, newest first', DevMailList),
      ...errors({
        400: 'Invalid query (`E_API_VALIDATION_FAILED`)',
        404: 'NODE_ENV=production: the sink is not mounted (`E_API_NOT_FOUND`)',
        ...RATE_LIMITED,
      }),
    },
  });
}
