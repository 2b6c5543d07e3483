import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers with a CSP that fits the app's own pages: the status page (`/`, its script
 * under /status/assets, an inline <style>) and Swagger UI (/docs, scripts from node_modules,
 * inline styles, data: images). Nothing loads from another origin.
 */
export function securityHeaders({ production }: { production: boolean }): RequestHandler {
  return precomputed(helmetHeaders(production));
}

/** helmet itself with the app's options (per request; the tests compare it with the recorded headers). */
export function helmetHeaders(production: boolean): RequestHandler {
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
    strictTransportSecurity: production ? { maxAge: 15_552_000, includeSubDomains: true } : false,
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
