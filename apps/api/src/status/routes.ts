import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import type { StatusCollector } from './collector.js';

/** The built page of `@redis-toolkit/status-ui` (a workspace package: `pnpm build` builds it first). */
export function statusUiDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@redis-toolkit/status-ui/package.json')), 'dist');
}

/**
 * `GET /` the status page (static: no data in it), `GET /status/assets/*` its script,
 * `GET /status.json` one snapshot (the page polls it every 2 s). The data route
 * sits behind `guard` (open in development, admin or STATUS_TOKEN in production).
 */
export function statusRoutes(collector: StatusCollector, guard: RequestHandler): Router {
  const router = Router();
  const dir = statusUiDir();
  let page: string | undefined;
  router.get('/', (_req, res) => {
    page ??= readFileSync(join(dir, 'index.html'), 'utf8');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(page);
  });
  router.use('/status/assets', express.static(dir, { index: false, maxAge: '1m' }));
  router.get('/status.json', guard, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(collector.snapshot());
  });
  return router;
}
