/**
 * Infrastructure requests: the probes, the metrics scrape, the status page's data and assets
 * (it polls every 2 s), the docs (a dozen assets) and the job board (bull-board polls every few
 * seconds; behind the admin check). They get no request log line (request-log.ts) and no rate
 * limit (platform.ts). `path` without its query string; `/admin/queuesx` is not the job board.
 */
export const isInfraPath = (path: string): boolean =>
  path === '/health' ||
  path === '/ready' ||
  path === '/metrics' ||
  path === '/status.json' ||
  path.startsWith('/status/') ||
  path.startsWith('/docs') ||
  path === '/admin/queues' ||
  path.startsWith('/admin/queues/');
