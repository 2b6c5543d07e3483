import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from '../openapi.js';
import { demoMarkdown } from './demo.js';

/**
 * `GET /docs`: Swagger UI, its assets served from node_modules (swagger-ui-dist; no CDN, works
 * offline), reading the app's generated document. Outside production the document it reads
 * (`/docs/openapi.json`) carries the demo credentials in its description.
 */
export function docsRoutes({ production }: { production: boolean }): Router {
  const router = Router();
  let withDemo: string | undefined;
  router.get('/docs/openapi.json', (req, res) => {
    withDemo ??= (() => {
      const doc = buildOpenApiDocument();
      if (!production) doc.info.description = `${doc.info.description ?? ''}\n${demoMarkdown()}`;
      return JSON.stringify(doc).slice(1);
    })();
    const servers = JSON.stringify([{ url: `${req.protocol}://${req.host}` }]);
    res.type('application/json').send(`{"servers":${servers},${withDemo}`);
  });
  const options = {
    customSiteTitle: 'redis-toolkit reference API · docs',
    swaggerOptions: { url: '/docs/openapi.json', displayRequestDuration: true },
  };
  router.use(
    '/docs',
    swaggerUi.serveFiles(undefined, options),
    swaggerUi.setup(undefined, options),
  );
  return router;
}
