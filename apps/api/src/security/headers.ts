import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers with a CSP that fits the app's own pages: the status page (`/`, its script
 * under /status/assets, an inline <style>) and Swagger UI (/docs, scripts from node_modules,
 * inline styles, data: images). Nothing loads from another origin.
 */
export function securityHeaders({ production }: { production: boolean }): RequestHandler {
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
