import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

const HSTS = { maxAge: 15_552_000, includeSubDomains: true };

/**
 * Paths a browser renders as a document: the status page (`/`, its assets), Swagger UI (`/docs`)
 * and the job board (bull-board, `/admin/queues`). `path` without its query string.
 */
export const isPagePath = (path: string): boolean =>
  path === '/' ||
  path.startsWith('/status/') ||
  path === '/docs' ||
  path.startsWith('/docs/') ||
  path === '/admin/queues' ||
  path.startsWith('/admin/queues/');

/**
 * Security headers, chosen by what the response is.
 *
 * - **Pages** (isPagePath) get helmet's document headers with a CSP that fits them: the status
 *   page (its script under /status/assets, an inline <style>) and Swagger UI (scripts from
 *   node_modules, inline styles, data: images). Nothing loads from another origin.
 * - **Everything else is JSON** (the API, probes, errors, 404s) and gets the OWASP REST Security
 *   Cheat Sheet's set: `default-src 'none'; frame-ancestors 'none'` (stricter than the pages' CSP:
 *   a JSON body opened as a document may load nothing), `nosniff`, `X-Frame-Options: DENY`,
 *   `Cross-Origin-Resource-Policy: same-origin`, HSTS in production. helmet's other headers
 *   (COOP, Origin-Agent-Cluster, Referrer-Policy, X-DNS-Prefetch-Control, X-Download-Options,
 *   X-Permitted-Cross-Domain-Policies, X-XSS-Protection) only act on documents; on JSON they are
 *   bytes on every response (about 400 per response, measured in bench/results/api.md).
 *
 * A new page outside the list gets the JSON set, whose CSP blocks its scripts: it fails visibly,
 * not open.
 */
export function securityHeaders({ production }: { production: boolean }): RequestHandler {
  const page = precomputed(pageHeaders(production));
  const json = precomputed(jsonHeaders(production));
  return (req, res, next) => {
    const url = req.url;
    const query = url.indexOf('?');
    (isPagePath(query === -1 ? url : url.slice(0, query)) ? page : json)(req, res, next);
  };
}

/** helmet itself with the pages' options (per request; the tests compare it with the recorded headers). */
export function pageHeaders(production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // over plain http (development) an upgrade would break the page's own requests
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // HSTS pins browsers to HTTPS: only where HTTPS is the deployment (production).
    strictTransportSecurity: production ? HSTS : false,
  });
}

/** helmet with the JSON responses' options (the OWASP REST set; see securityHeaders). */
export function jsonHeaders(production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    strictTransportSecurity: production ? HSTS : false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
}

/**
 * With these options helmet writes the same headers on every response (no nonce, nothing read
 * from the request): it runs once here, on a recorder, and each request gets the recorded
 * headers — one loop instead of helmet's chain of a dozen middleware per request.
 */
function precomputed(middleware: RequestHandler): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let called = false;
  middleware({ headers: {} } as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    called = true;
  });
  if (!called)
    throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}
