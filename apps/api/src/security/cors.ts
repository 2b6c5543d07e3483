import type { RequestHandler } from 'express';
import { CSRF_HEADER } from './csrf.js';

/**
 * CORS for `CORS_ORIGINS` (env.ts validated it). Exact origins get their origin echoed and,
 * with `CORS_CREDENTIALS`, cookies; `*` never gets credentials. No list: no CORS headers, so
 * browsers keep other origins out of the responses.
 */
export function cors(origins: '*' | string[], credentials: boolean): RequestHandler {
  const allowed = (origin: string) => origins === '*' || origins.includes(origin);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin || (origins !== '*' && origins.length === 0) || !allowed(origin)) {
      next();
      return;
    }
    res.vary('Origin');
    if (origins === '*') res.setHeader('Access-Control-Allow-Origin', '*');
    else {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET,HEAD,POST,PUT,PATCH,DELETE');
      res.setHeader('Access-Control-Allow-Headers', `content-type,authorization,${CSRF_HEADER}`);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
