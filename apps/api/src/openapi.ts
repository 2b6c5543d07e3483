import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { RequestHandler } from 'express';
import { registerCarePaths } from './care/openapi.js';
import { registerDentalPaths } from './dental/openapi.js';
import { registerHeaders, registerSecuritySchemes } from './openapi/common.js';
import { registerInfraPaths } from './openapi/infra.js';
import { registerDevMailPaths } from './routes/dev-mail-openapi.js';
import { registerSchoolPaths } from './school/openapi.js';
import { registerSecurityPaths } from './security/openapi.js';
import { registerStatusPaths } from './status/openapi.js';

const config: Parameters<OpenApiGeneratorV31['generateDocument']>[0] = {
  openapi: '3.1.0',
  info: {
    title: 'redis-toolkit reference API',
    version: '0.0.0',
    description:
      'Dental clinic, school and home-care use cases on @redis-toolkit packages. Errors are `{ error: { code, message } }`; every response carries `x-request-id`. Generated from the zod schemas the routes validate with.',
  },
  tags: [
    { name: 'platform', description: 'Probes, metrics, this document' },
    { name: 'dental', description: 'Dental clinic: read-through caches with tag invalidation' },
    { name: 'school', description: 'School: JWT access/refresh tokens, revocation, roles' },
    { name: 'care', description: 'Home care: cookie sessions, presence, alerts over SSE' },
  ],
};

/** The OpenAPI 3.1 document of every route of the app, without `servers`. */
export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  registerHeaders(registry);
  registerInfraPaths(registry);
  registerDevMailPaths(registry);
  registerStatusPaths(registry);
  registerSecurityPaths(registry);
  registerDentalPaths(registry);
  registerSchoolPaths(registry);
  registerCarePaths(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument(config);
}

let serialized: string | undefined;

/**
 * `GET /openapi.json`. The document is generated and serialized once per process; each request
 * only prepends `servers` with the URL it was asked on (protocol and host honour `trust proxy`).
 */
export function openApiHandler(): RequestHandler {
  serialized ??= JSON.stringify(buildOpenApiDocument());
  const rest = serialized.slice(1);
  return (req, res) => {
    const servers = JSON.stringify([{ url: `${req.protocol}://${req.host}` }]);
    res.type('application/json').send(`{"servers":${servers},${rest}`);
  };
}
